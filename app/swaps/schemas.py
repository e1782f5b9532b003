"""Request and response bodies for shift swaps."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from app.swaps.events import SwapState

SwapKind = Literal["giveaway", "trade"]


class SwapCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shift_id: int = Field(description="Your shift that you offer")
    counterpart_id: int = Field(description="The resident who would take it")
    counterpart_shift_id: int | None = Field(
        default=None, description="Their shift you take in return (a trade); omit to give away"
    )


class SwapDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    override_justification: str | None = Field(
        default=None,
        max_length=2000,
        description="Required (at least 20 characters) to approve a swap that breaks an "
        "ACGME rule; stored and audited",
    )


class SwapRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    requester_id: int
    counterpart_id: int
    shift_id: int
    counterpart_shift_id: int | None
    state: SwapState
    override_justification: str | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind(self) -> SwapKind:
        return "giveaway" if self.counterpart_shift_id is None else "trade"
