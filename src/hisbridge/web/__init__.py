"""The gateway's HTTP side: API routers, console pages, workstation widgets."""
