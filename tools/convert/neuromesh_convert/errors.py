"""Refusals: what an importer cannot express, each naming the node or layer and a fix.

Importers collect every refusal of a model in one pass and raise them together, so a user
sees all the changes their model needs at once.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    subject: str  # e.g. "layer 'features.2' (MaxPool2d)" or "node 'lif1' (LIF)"
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}; fix: {self.fix}"


class ConversionError(Exception):
    """One or more refusals; ``str()`` lists them one per line."""

    def __init__(self, refusals):
        self.refusals = list(refusals)
        super().__init__("\n".join(str(r) for r in self.refusals))


class Refusals:
    """Collects refusals; ``raise_if_any()`` raises them all at once."""

    def __init__(self):
        self.items: list[Refusal] = []

    def add(self, subject: str, problem: str, fix: str) -> None:
        self.items.append(Refusal(subject, problem, fix))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ConversionError(self.items)
