// The portal header: navigation, the signed-in user with roles, and the theme toggle.
import { LayoutGrid, LogOut, MessageSquare, Moon, Sun } from "lucide-react";
import { useRef } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import type { Boot } from "@/lib/boot";
import type { Route } from "@/lib/router";
import { cn } from "@/lib/utils";

export function Header({
  boot,
  route,
  navigate,
  theme,
  onToggleTheme,
  showWorkspace,
}: {
  boot: Boot;
  route: Route;
  navigate: (route: Route) => void;
  theme: "light" | "dark";
  onToggleTheme: () => void;
  showWorkspace: boolean;
}) {
  // The sign-out form lives outside the menu: the menu unmounts its items as it closes, and a form
  // inside it would be gone before the browser submitted it.
  const signOut = useRef<HTMLFormElement>(null);
  const link = (active: boolean) =>
    cn("gap-1.5", active ? "bg-muted text-foreground" : "text-muted-foreground");
  return (
    <header className="flex h-14 shrink-0 items-center justify-between gap-2 border-b px-2 sm:px-4">
      <form ref={signOut} method="post" action="/logout/" hidden>
        <input type="hidden" name="csrfmiddlewaretoken" value={boot.csrfToken} />
      </form>
      <div className="flex min-w-0 items-center gap-2 sm:gap-4">
        <span className="flex items-center gap-2 font-semibold">
          <span
            aria-hidden="true"
            className="grid h-7 w-7 place-items-center rounded-md bg-primary text-xs font-bold text-primary-foreground"
          >
            Vz
          </span>
          <span className="hidden sm:inline">Vizorch</span>
        </span>
        <nav className="flex items-center gap-1" aria-label="Main">
          {showWorkspace ? (
            <Button
              variant="ghost"
              size="sm"
              className={link(route.name === "workspace")}
              onClick={() => navigate({ name: "workspace", conversationId: null })}
              aria-current={route.name === "workspace" ? "page" : undefined}
              data-testid="nav-workspace"
            >
              <MessageSquare /> Ask
            </Button>
          ) : null}
          <Button
            variant="ghost"
            size="sm"
            className={link(route.name !== "workspace")}
            onClick={() => navigate({ name: "templates" })}
            aria-current={route.name === "templates" || route.name === "template" ? "page" : undefined}
            data-testid="nav-templates"
          >
            <LayoutGrid /> Templates
          </Button>
        </nav>
      </div>
      <div className="flex shrink-0 items-center gap-1 sm:gap-2">
        <Tooltip>
          <TooltipTrigger asChild>
            <Button
              variant="ghost"
              size="icon"
              onClick={onToggleTheme}
              aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
              data-testid="theme-toggle"
            >
              {theme === "dark" ? <Sun /> : <Moon />}
            </Button>
          </TooltipTrigger>
          <TooltipContent>Toggle theme</TooltipContent>
        </Tooltip>
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button
              variant="outline"
              size="sm"
              data-testid="user-menu"
              className="max-w-[10rem] sm:max-w-none"
            >
              <span data-testid="current-user" className="truncate">
                {boot.user.username}
              </span>
              {boot.user.roles.map((r) => (
                <Badge key={r} variant="secondary" data-testid="user-role" className="hidden sm:inline-flex">
                  {r}
                </Badge>
              ))}
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end" collisionPadding={8} className="max-w-[calc(100vw-16px)]">
            <DropdownMenuLabel>Signed in as {boot.user.username}</DropdownMenuLabel>
            {boot.user.roles.length ? (
              <DropdownMenuLabel className="pt-0 text-xs font-normal text-muted-foreground">
                Roles: {boot.user.roles.join(", ")}
              </DropdownMenuLabel>
            ) : null}
            <DropdownMenuSeparator />
            <DropdownMenuItem data-testid="sign-out" onSelect={() => signOut.current?.requestSubmit()}>
              <LogOut /> Sign out
            </DropdownMenuItem>
          </DropdownMenuContent>
        </DropdownMenu>
      </div>
    </header>
  );
}
