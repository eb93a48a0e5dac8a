"""Collections through the web, in-process (TestClient), on SQLite and on PostgreSQL: security — every route's guard
(session, form token, unit token), sign-in, the session cookie, the stored password."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select

from selfscore.collect.models import User
from selfscore.web import create_app
from support.collection_web import (
    ADMIN,
    PASSWORD,
    XLSX,
    client_of,
    create,
    form_token,
    links,
    unit_rows,
    upload,
    workbook,
)

REVIEWER_GETS = ["/collections", "/collections/1", "/collections/1/links", "/collections/1/links.xlsx", "/collections/1/summary.xlsx",
                 "/collections/1/export.json", "/collections/1/units/1", "/collections/1/submissions/1",
                 "/collections/1/submissions/1/original", "/collections/1/submissions/1/marked", "/tokens", "/users",
                 "/collections/1/log.xlsx", "/collections/1/log.json"]
REVIEWER_POSTS = ["/collections", "/collections/1/close", "/collections/1/reopen", "/collections/1/units/1/reissue",
                  "/collections/1/units/1/revoke", "/tokens", "/tokens/1/revoke", "/logout", "/users", "/users/1/password",
                  "/users/1/disable", "/users/1/enable", "/collections/1/reviewers"]


def test_every_reviewer_route_without_a_session_is_sent_to_sign_in_or_refused(reviewer, anonymous, tmp_path):
    create(reviewer)
    for path in REVIEWER_GETS:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        # relative, so that it works under any root path; resolved, it is the sign-in page, back to where they were going
        target = urlsplit(urljoin(f"http://testserver{path}", response.headers["location"]))
        assert target.path == "/login" and parse_qs(target.query)["next"] == [path], path
    for path in REVIEWER_POSTS:
        response = anonymous.post(path, data={"csrf_token": reviewer.csrf})
        assert response.status_code == 401, path
        assert "请先登录" in response.text


def test_the_sign_in_redirect_lands_where_the_reviewer_was_going(app, reviewer):
    collection_id = create(reviewer)
    with client_of(app) as other:
        page = other.get(f"/collections/{collection_id}/links")
        assert page.url.path == "/login"
        response = other.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": form_token(page.text),
                                              "next": f"/collections/{collection_id}/links"})
        assert response.url.path == f"/collections/{collection_id}/links"
        # never to another site
        page = other.get("/login?next=//evil.example/x")
        assert 'value="/collections"' in page.text


def test_a_form_without_its_token_is_refused_with_403(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    for path in (f"/collections/{collection_id}/close", "/collections", "/tokens"):
        response = reviewer.post(path, data={"name": "x"})
        assert response.status_code == 403 and "安全令牌" in response.text, path
        assert reviewer.post(path, data={"csrf_token": "forged"}).status_code == 403
    assert unit_rows(reviewer, collection_id)  # still open: the close without a token did nothing
    link = links(reviewer, collection_id)["温县"]
    with client_of(app) as clerk:
        response = clerk.post(link, files={"file": ("a.xlsx", workbook(tmp_path, "a"), XLSX)})
        assert response.status_code == 403
        other_link = links(reviewer, collection_id)["修武县"]
        stolen = form_token(clerk.get(other_link).text)  # a form token is only good for its own link
        assert clerk.post(link, data={"csrf_token": stolen}, files={"file": ("a.xlsx", workbook(tmp_path, "b"), XLSX)}).status_code == 403
    login = reviewer.post("/login", data={"name": ADMIN, "password": PASSWORD})
    assert login.status_code == 403


def test_a_unit_token_never_reaches_another_units_submission(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    unit_links = links(reviewer, collection_id)
    with client_of(app) as clerk:
        theirs = upload(clerk, unit_links["温县"], workbook(tmp_path, "a", unit="温县"))
        submission_path = theirs.url.path  # /u/<温县>/submissions/<id>
        submission_id = submission_path.rsplit("/", 1)[1]
        mine = unit_links["修武县"]
        for suffix in ("", "/original", "/marked"):
            response = clerk.get(f"{mine}/submissions/{submission_id}{suffix}")
            assert response.status_code == 404, suffix
            assert "温县" not in response.text and "找不到" in response.text
        assert clerk.get(f"{submission_path}/original").status_code == 200
        assert clerk.get("/u/" + "A" * 43).status_code == 404
        # the reviewer's routes are not reachable with a unit token either
        assert clerk.get(f"/collections/{collection_id}", follow_redirects=False).status_code == 303


def test_the_stored_password_hash_is_not_the_password(database, app):
    with database.transaction() as session:
        stored = session.scalar(select(User.password_hash).where(User.name == ADMIN))
    assert PASSWORD not in stored and PASSWORD.encode().hex() not in stored
    assert stored.startswith("scrypt$")


def test_wrong_passwords_are_throttled_and_each_returns_to_the_form_with_the_message_above_it(anonymous):
    page = anonymous.get("/login")
    codes = []
    for n in range(6):  # as a browser would: each answer is the form again, with its own new form token
        page = anonymous.post("/login", data={"name": ADMIN, "password": f"guess {n}", "csrf_token": form_token(page.text),
                                              "next": "/collections/1"})
        codes.append(page.status_code)
        assert page.text.index('id="problem"') < page.text.index('type="password"')  # the message above the form
        assert f'value="{ADMIN}"' in page.text and 'value="/collections/1"' in page.text  # what was typed is kept
    assert codes == [401] * 5 + [429]
    blocked = anonymous.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": form_token(page.text)})
    assert blocked.status_code == 429 and "15 分钟" in blocked.text and 'type="password"' in blocked.text
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60  # when to come back, for a program as for a person


def test_the_session_cookie_is_httponly_and_samesite_strict_and_secure_over_https(app):
    with client_of(app) as client:
        page = client.get("/login")
        response = client.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": form_token(page.text)},
                               follow_redirects=False)
        cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("selfscore_session="))
        assert "selfscore_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie
    with TestClient(app, base_url="https://intranet.example") as secure:
        page = secure.get("/login")
        response = secure.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": form_token(page.text)},
                               follow_redirects=False)
        cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("selfscore_session="))
        assert "Secure" in [part.strip() for part in cookie.split(";")]


def test_without_a_password_the_sign_in_page_says_how_to_set_one(database):
    with client_of(create_app(collections=database, processes=1)) as client:
        page = client.get("/login")
        assert "selfscore admin add-user admin --role admin" in page.text and "selfscore admin set-password" in page.text
        assert 'type="password"' not in page.text  # no form to sign in with until a password is set
        token = client.cookies["selfscore_login"]
        assert client.post("/login", data={"name": ADMIN, "password": "", "csrf_token": token}).status_code == 401



#: POST routes a reviewer's session does not guard, each with what guards it instead (walked below: a POST route
#: added to the app is covered the day it is added, and one that belongs here must be named here, with its reason)
NOT_BY_SESSION = {
    "/check": None,            # the public checker: anyone may check a workbook; nothing is stored
    "/api/check": None,        # the same, as JSON
    "/api/check.xlsx": None,   # the same, the marked-up copy
    "/login": "form",          # signing in: the sign-in page's own form token
    "/u/{token}": "form",      # a unit's link: the link's own form token
}
#: the JSON API: a bearer token, not a session and a form (a browser never sends one by itself)
BY_BEARER = "/api/collections"


def _routes(routes):
    """Every route of the app, through the routers it includes (FastAPI keeps an included router as one entry)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else (route,)


def test_every_post_route_is_refused_without_its_session_or_its_form_token(app, reviewer, tmp_path):
    collection_id = create(reviewer)
    html = reviewer.get(f"/collections/{collection_id}/links").text
    unit_id = re.search(r'<tr data-unit="温县">.*?action="units/(\d+)/reissue"', html, re.S).group(1)
    reviewer.post("/tokens", data={"csrf_token": reviewer.csrf, "name": "脚本"})
    token_id = re.search(r'action="\./tokens/(\d+)/revoke"', reviewer.get("/tokens").text).group(1)
    unit_link = links(reviewer, collection_id)["温县"]
    values = {"collection_id": collection_id, "unit_id": unit_id, "token_id": token_id, "token": unit_link.rsplit("/", 1)[1],
              "user_id": 1, "submission_id": 1, "indicator_id": "funds_raising"}
    posts = sorted({route.path for route in _routes(app.routes) if "POST" in (getattr(route, "methods", None) or ())})
    assert "/tokens/{token_id}/revoke" in posts and len(posts) > len(NOT_BY_SESSION)
    checked = []
    with client_of(app) as stranger:  # one client (one start of the app's worker pool), its cookies cleared before each use
        for template in posts:
            actions = ("password", "disable", "enable") if template.startswith("/users/") else ("reissue", "revoke")
            paths = [template.format(action=action, **values) for action in actions] if "{action}" in template \
                else [template.format(**values)]
            for path in paths:
                stranger.cookies.clear()
                if template.startswith(BY_BEARER):
                    assert stranger.post(path, json={}).status_code == 401, path
                elif template in NOT_BY_SESSION:
                    assert template in ("/check", "/api/check", "/api/check.xlsx") or NOT_BY_SESSION[template] == "form"
                    if NOT_BY_SESSION[template] == "form":
                        stranger.get(path if template != "/login" else "/login")  # the form's page first, as a person would
                        response = stranger.post(path, data={"password": PASSWORD, "name": ADMIN})
                        assert response.status_code == 403 and "安全令牌" in response.text, path
                else:
                    # no session, even with a form token that was good elsewhere
                    response = stranger.post(path, data={"csrf_token": reviewer.csrf, "name": "x"})
                    assert response.status_code == 401 and "请先登录" in response.text, path
                    for form in ({"name": "x"}, {"csrf_token": "forged", "name": "x"}):  # a session, no or a forged form token
                        response = reviewer.post(path, data=form)
                        assert response.status_code == 403 and "安全令牌" in response.text, (path, form)
                checked.append(path)
    assert f"/tokens/{token_id}/revoke" in checked and "/logout" in checked
    # none of the refused requests did anything: the collection is open, every link works, the token is not revoked
    assert unit_rows(reviewer, collection_id) and links(reviewer, collection_id)["温县"] == unit_link
    assert f'action="./tokens/{token_id}/revoke"' in reviewer.get("/tokens").text
    assert reviewer.get("/collections").status_code == 200  # still signed in: /logout without its token did not log out
