"""Users, who sees which collection, and the log of actions, in the library, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from selfscore.collect.access import Access, PasswordTooWeak, UserRefused, check_password
from selfscore.collect.actions import actions, record
from selfscore.collect.service import Collections
from support.helpers import TABLE_IDS


@pytest.mark.parametrize("password", [" " * 10, "short" + " " * 10, "　" * 12, "abc def gh"])
def test_a_password_needs_ten_characters_that_are_not_spaces(password):
    with pytest.raises(PasswordTooWeak, match="至少 10 个字符（空格不计）"):
        check_password(password)


def test_a_password_of_ten_characters_with_spaces_between_is_fine():
    check_password("abc def ghij")


def test_users_roles_and_who_sees_which_collection(database):
    access, collections = Access(database), Collections(database)
    admin = access.add_user("admin", "管理员的密码很长很长", "admin")
    li = access.add_user(" 李  复核 ", "李复核的密码很长很长")
    wang = access.add_user("王局外", "王局外的密码很长很长")
    assert li.name == "李 复核" and li.role == "reviewer" and not li.is_admin
    with pytest.raises(UserRefused, match="已被使用"):
        access.add_user("李 复核", "另一个密码很长很长很长")
    with pytest.raises(UserRefused, match="角色「boss」无效"):
        access.add_user("老板", "老板的密码很长很长很长", "boss")

    by_admin = collections.create("管理员的收集", 2020, [TABLE_IDS[0]], ["温县"], admin)
    by_li = collections.create("李复核的收集", 2020, [TABLE_IDS[0]], ["温县"], li)
    assert [info.name for info, *_ in collections.all(admin)] == ["李复核的收集", "管理员的收集"]
    assert [info.name for info, *_ in collections.all(li)] == ["李复核的收集"]
    assert collections.all(wang) == [] and not collections.can_see(by_admin.id, wang)
    collections.set_reviewers(by_admin.id, [wang.id], by=admin)
    assert collections.can_see(by_admin.id, wang) and not collections.can_see(by_li.id, wang)
    assert collections.contacts(by_li.id) == ["李 复核"] and collections.contacts(by_admin.id) == ["admin", "王局外"]

    access.disable_user("王局外", by=admin)
    assert access.log_in("王局外", "王局外的密码很长很长", "test") is None
    assert [user.name for user in access.active_users()] == ["admin", "李 复核"]


def test_record_adds_one_row_in_the_callers_transaction(database):
    access, collections = Access(database), Collections(database)
    li = access.add_user("李复核", "李复核的密码很长很长")
    collection = collections.create("收集", 2020, [TABLE_IDS[0]], ["温县"], li)
    unit_id = collections.rows(collection.id)[0].id
    with database.transaction() as session:
        record(session, li, "confirm_score", collection.id, unit_id, detail="复核得分 8 分：材料齐全")
    with pytest.raises(RuntimeError), database.transaction() as session:
        record(session, li, "never_kept", collection.id, unit_id)
        raise RuntimeError("rolled back with what it recorded")
    logged = collections.log(collection.id, unit_id)
    assert [(entry.user_name, entry.action, entry.unit_name, entry.detail) for entry in logged] == [
        ("李复核", "confirm_score", "温县", "复核得分 8 分：材料齐全")]
    with database.transaction() as session:
        assert [entry.action for entry in actions(session, collection.id)] == ["create", "confirm_score"]
        assert [entry.action for entry in actions(session)] == ["add_user"]  # actions on no collection: users
