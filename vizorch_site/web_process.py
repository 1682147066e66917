"""One web process: daphne's command line (`python -m daphne`), with Twisted's form parsing off.

Twisted's HTTP request reads the body of every POST with a form content type into its `args`
before daphne hands the raw body to the application, which parses it again (Django) and never
sees `args`. That work ran on the event loop, where every stream of the process waits for it:
130 µs to read the content type of each POST (through `email.message.EmailMessage`, JSON
included), some 50 ms to parse a 2.5 MB template import, and a multipart body Twisted could not
parse (no boundary) was answered with a bare 400 and a dropped connection, before Django could
answer it with its typed error. Here the body goes to the application unparsed.

    python -m vizorch_site.web_process [daphne's arguments]    (vizorch_site/serve.py)"""

from __future__ import annotations

from typing import Any

from daphne import http_protocol
from daphne import server as daphne_server
from daphne.cli import CommandLineInterface


class RawBodyRequest(http_protocol.WebRequest):
    """daphne's request, which leaves a POST's body to the application."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)


class RawBodyHTTPFactory(http_protocol.HTTPFactory):
    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = RawBodyRequest
        return protocol


def main() -> None:
    # daphne's server builds its HTTP factory from this module name when it starts.
    daphne_server.HTTPFactory = RawBodyHTTPFactory
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
