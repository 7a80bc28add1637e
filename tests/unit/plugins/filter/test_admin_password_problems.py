from __future__ import annotations

from ansible_collections.vmseries.aws_ha.plugins.filter.admin_password_problems import FilterModule


def test_the_filter_reports_the_rules_without_the_password():
    problems = FilterModule().filters()["admin_password_problems"]
    assert problems("lab-Admin-1") == []
    [message] = problems("Pa55word")
    assert message.startswith("vmseries_admin_password is a commonly used word: PAN-OS refuses it")
    assert "Pa55word" not in message
    assert problems(None)[0].startswith("vmseries_admin_password is empty")
