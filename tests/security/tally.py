"""What a sweep tried and what went wrong, printed as one line for the closing note."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Tally:
    name: str
    failure_word: str = "failures"
    tries: int = 0
    failures: list[str] = field(default_factory=list)

    def tried(self, ok: bool, what: str) -> None:
        self.tries += 1
        if not ok:
            self.failures.append(what)

    def line(self) -> str:
        return f"{self.name}: {self.tries} tries, {len(self.failures)} {self.failure_word}"

    def check(self) -> None:
        """Print the figures, then fail naming every failure."""
        print(self.line())
        assert not self.failures, self.line() + "\n" + "\n".join(self.failures)
