"""config_fingerprint: converged only with the recorded fingerprint and nothing pending."""

from __future__ import annotations

from ansible_collections.vmseries.aws_ha.plugins.modules.config_fingerprint import differences, fingerprint


def test_fingerprint_parts():
    found = fingerprint("a" * 64, "config")
    assert found.startswith("inputs=aaaaaaaaaaaa config=") and len(found.split()) == 2
    assert fingerprint("a" * 64, "config") != fingerprint("a" * 64, "other config")


def test_differences_name_the_parts_and_pending_changes():
    now = fingerprint("a" * 64, "config")
    assert differences(now, now, pending=False) == []
    assert differences(now, now, pending=True) == ["pending"]
    assert differences(fingerprint("b" * 64, "config"), now, pending=False) == ["inputs"]
    assert differences(fingerprint("a" * 64, "old"), now, pending=False) == ["config"]
    assert differences("", now, pending=False) == ["inputs", "config"]
