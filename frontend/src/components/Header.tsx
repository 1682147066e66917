// The portal header: navigation, the signed-in user with roles, and the theme toggle.
import { LayoutGrid, LogOut, MessageSquare, Moon, Sun } from "lucide-react";
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
  const link = (active: boolean) =>
    cn("gap-1.5", active ? "bg-muted text-foreground" : "text-muted-foreground");
  return (
    <header className="flex h-14 shrink-0 items-center justify-between border-b px-4">
      <div className="flex items-center gap-4">
        <span className="flex items-center gap-2 font-semibold">
          <span className="grid h-7 w-7 place-items-center rounded-md bg-primary text-xs font-bold text-primary-foreground">
            Vz
          </span>
          Vizorch
        </span>
        <nav className="flex items-center gap-1" aria-label="Main">
          {showWorkspace ? (
            <Button
              variant="ghost"
              size="sm"
              className={link(route.name === "workspace")}
              onClick={() => navigate({ name: "workspace", conversationId: null })}
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
            data-testid="nav-templates"
          >
            <LayoutGrid /> Templates
          </Button>
        </nav>
      </div>
      <div className="flex items-center gap-2">
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
            <Button variant="outline" size="sm" data-testid="user-menu">
              <span data-testid="current-user">{boot.user.username}</span>
              {boot.user.roles.map((r) => (
                <Badge key={r} variant="secondary" data-testid="user-role">
                  {r}
                </Badge>
              ))}
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent align="end">
            <DropdownMenuLabel>Signed in as {boot.user.username}</DropdownMenuLabel>
            <DropdownMenuSeparator />
            <DropdownMenuItem asChild>
              <form method="post" action="/logout/">
                <input type="hidden" name="csrfmiddlewaretoken" value={boot.csrfToken} />
                <button type="submit" className="flex w-full items-center gap-2">
                  <LogOut /> Sign out
                </button>
              </form>
            </DropdownMenuItem>
          </DropdownMenuContent>
        </DropdownMenu>
      </div>
    </header>
  );
}
