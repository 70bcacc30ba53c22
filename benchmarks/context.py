"""What every section gets: the configuration, the running stack, the seeded data and a code allocator."""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import Config
from .seed import Seeded
from .stack import Stack
from .stats import Table, Target

GET_CODES = 500  # the last codes of the pool: scan GETs rotate over them and no POST uses them


@dataclass
class Context:
    config: Config
    stack: Stack
    seeded: Seeded
    _next_code: int = 0

    def take_codes(self, count: int) -> list[str]:
        """Codes not yet used in this run (alarms were emptied at the start): each report is a first report."""
        end = min(self._next_code + count, len(self.seeded.scan_codes) - GET_CODES)
        codes = self.seeded.scan_codes[self._next_code : end]
        self._next_code = max(end, self._next_code)
        return codes

    @property
    def get_codes(self) -> list[str]:
        return self.seeded.scan_codes[-GET_CODES:]


@dataclass
class Outcome:
    tables: list[Table] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
