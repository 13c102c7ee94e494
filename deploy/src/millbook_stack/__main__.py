"""`python -m millbook_stack` is the `millbook` CLI (the supervisor runs this way)."""

from millbook_stack.cli import app

if __name__ == "__main__":
    app(prog_name="millbook")
