"""The log of actions: who did what, when, to which collection, unit or submission. Rows are only ever added."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from selfscore.collect.models import Action
from selfscore.collect.times import iso, local_text, utcnow

#: what each action is called where a person reads the log
ACTION_NAMES = {
    "create": "新建收集", "close": "截止收集", "reopen": "重新开放收集", "reissue": "生成新链接", "revoke": "收回链接",
    "set_reviewers": "设置复核人员", "submit": "单位提交", "add_user": "新建用户", "set_password": "修改密码",
    "disable_user": "停用用户", "enable_user": "启用用户",
    "score": "复核得分", "accept": "确认接受另一单位或年度的工作簿", "return": "退回修改", "sign_off": "审核通过",
    "unit_reopen": "重新开放单位",
}
#: who did what no signed-in user did: a unit's clerk through their link, or the server's `selfscore admin` command
CLERK, COMMAND = "单位经办人", "命令行"


class Actor(Protocol):
    id: int
    name: str


def record(session: Session, user: Actor | None, action: str, collection_id: int | None = None, unit_id: int | None = None,
           submission_id: int | None = None, detail: str = "", *, by: str = COMMAND) -> None:
    """Add one action to the log, in the caller's transaction (it is kept exactly when what it records is).

    ``user`` is the signed-in user (a :class:`~selfscore.collect.access.UserInfo`) or None, then ``by`` names who did it."""
    session.add(Action(at=utcnow(), user_id=user.id if user else None, user_name=(user.name if user else by)[:64],
                       action=action[:32], collection_id=collection_id, unit_id=unit_id, submission_id=submission_id,
                       detail=detail))


@dataclass(frozen=True)
class LoggedAction:
    at: datetime
    user_name: str
    action: str
    collection_id: int | None
    unit_id: int | None
    unit_name: str | None
    submission_id: int | None
    detail: str

    @property
    def at_text(self) -> str:
        return local_text(self.at)

    @property
    def action_name(self) -> str:
        return ACTION_NAMES.get(self.action, self.action)

    def to_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "user": self.user_name, "action": self.action, "action_name": self.action_name,
                "collection_id": self.collection_id, "unit_id": self.unit_id, "unit": self.unit_name,
                "submission_id": self.submission_id, "detail": self.detail}


def actions(session: Session, collection_id: int | None = None, unit_id: int | None = None,
            unit_names: dict[int, str] | None = None) -> list[LoggedAction]:
    """The log, oldest first: of one collection, of one unit, or (neither) the actions on no collection (users)."""
    query = select(Action).order_by(Action.at, Action.id)
    if unit_id is not None:
        query = query.where(Action.unit_id == unit_id)
    elif collection_id is not None:
        query = query.where(Action.collection_id == collection_id)
    else:
        query = query.where(Action.collection_id.is_(None))
    names = unit_names or {}
    return [LoggedAction(row.at, row.user_name, row.action, row.collection_id, row.unit_id, names.get(row.unit_id or 0),
                         row.submission_id, row.detail) for row in session.scalars(query)]


def log_workbook(title: str, logged: list[LoggedAction]) -> bytes:
    """The log as a workbook: one row per action, the columns a person reads."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "操作记录"
    sheet.append([f"{title} 操作记录"])
    sheet["A1"].font = Font(bold=True, size=14)
    header = ["时间", "操作人", "操作", "单位", "提交编号", "说明"]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for entry in logged:
        sheet.append([entry.at_text, entry.user_name, entry.action_name, entry.unit_name or "", entry.submission_id, entry.detail])
    for column, width in zip("ABCDEF", (20, 14, 14, 20, 10, 50), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
