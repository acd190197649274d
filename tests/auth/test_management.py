"""The management endpoint: after the two-stage login, a user sees and revokes the apps' access."""

from __future__ import annotations

import re


def test_user_sees_and_revokes_access(smart):
    token = smart.token("anna", scope="launch/patient patient/*.rs offline_access")
    smart.token("boris")  # someone else's access is not shown
    smart.fresh_browser()
    start = smart.web.get("/auth/manage")
    assert start.status_code == 302 and start.headers["Location"].endswith("/auth/login")
    assert smart.password("anna").status_code == 303
    done = smart.code(smart.last_code("+79990000001"))
    assert done.status_code == 303 and done.headers["Location"].endswith("/auth/manage")
    page = smart.web.get("/auth/manage")
    text = page.get_data(as_text=True)
    assert "Public test app" in text and text.count('name="family"') == 1
    family = re.search(r'name="family" value="([^"]+)"', text).group(1)
    csrf = smart.csrf(page)
    revoked = smart.web.post("/auth/manage", data={"csrf": csrf, "family": family, "action": "revoke"})
    assert revoked.status_code == 200 and 'name="family"' not in revoked.get_data(as_text=True)
    assert smart.fhir("GET", "Patient/p1", token["access_token"]).status_code == 401
    refresh = smart.web.post("/auth/token", data={"grant_type": "refresh_token", "client_id": "public-app",
                                                  "refresh_token": token["refresh_token"]})
    assert refresh.status_code == 400
