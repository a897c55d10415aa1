"""Pydantic request/response models only (``...Create``, ``...Read``)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Channel(StrEnum):
    hom_thu = "hom_thu"
    email = "email"
    duong_day_nong = "duong_day_nong"
    tiep_xuc_cu_tri = "tiep_xuc_cu_tri"
    don_thu = "don_thu"
    bao_chi = "bao_chi"
    truc_tiep = "truc_tiep"


class SubmitterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    cccd: str | None = Field(default=None, max_length=20)


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    channel: Channel | None = None
    received_at: datetime | None = None
    locality: str | None = Field(default=None, pattern=r"^([0-9]{2}|[0-9]{5}|[0-9]{2}\.[0-9]{5})$",
                                 description="official code: province (2 digits) or commune/ward (5)")
    district: str | None = Field(default=None, max_length=200,
                                 description="the old district, for records from before 2025")
    submitter: SubmitterCreate | None = None
    external_ref: str | None = Field(default=None, max_length=128)


class LabelRead(BaseModel):
    code: str
    score: float


class PriorityRead(BaseModel):
    score: float | None
    level: str | None
    reasons: list[str]


class PossibleDuplicateRead(BaseModel):
    """An earlier item of another case that may be this one (not linked: a reviewer may
    merge it with `merge_into`)."""

    id: str
    cluster: str
    probability: float


class FeedbackRead(BaseModel):
    id: str
    tracking_code: str
    status: str
    text: str | None = Field(description="the redacted text (personal data replaced)")
    channel: str | None
    locality: str | None
    received_at: datetime
    model_id: str | None
    labels: list[LabelRead]
    suggested: list[str]
    explanations: dict[str, list[str]]
    out_of_scope: bool | None
    duplicate_of: str | None
    similarity: float | None
    cluster: str | None
    possible_duplicates: list[PossibleDuplicateRead] = []
    priority: PriorityRead
    anonymous: bool
    track: str | None = None
    due_at: date | None = None
    version: int = 1
    claimed_by: str | None = None
    final_codes: list[str] | None = None


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(description="the item's version as read (optimistic concurrency)")
    codes: list[str] = Field(description="the final codes, primary first")
    track: str | None = Field(default=None, pattern="^(gop_y|phan_anh|kien_nghi|khieu_nai|to_cao)$")
    duplicate: str | None = Field(default=None, pattern="^(confirm|reject)$",
                                  description="confirm the suggested link, or reject it (split)")
    merge_into: str | None = Field(default=None, max_length=40,
                                   description="a cluster id this item belongs to (merge)")
    action: str = Field(default="none", pattern="^(none|forward|close)$")
    forwarded_to: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=2000)


class IdentityReveal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=10, max_length=1000)


class QueueItem(BaseModel):
    id: str
    status: str
    priority: float | None
    priority_level: str | None
    due_at: date | None
    track: str | None
    channel: str | None
    locality: str | None
    suggested: list[str]
    cluster: str | None
    duplicate_of: str | None
    claimed_by: str | None
    version: int
    excerpt: str | None
    uncertainty: float | None = None


class QueuePage(BaseModel):
    total: int
    items: list[QueueItem]
