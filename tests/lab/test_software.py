"""A firewall twin's software as pan-os-python's own SoftwareUpdater and restart calls drive it:
the version of the AMI it was launched from, the update server's catalogue, downloads and installs
as jobs with PAN-OS's refusals, the installed version booting on restart, and the faults."""

from __future__ import annotations

import pytest
from panos.errors import PanDeviceError, PanDeviceXapiError

from .pairs import connect, launch_pair, set_password

SYSTEM_INFO = "<show><system><info></info></system></show>"


def system_info(device):
    return device.op(SYSTEM_INFO, cmd_xml=False).find("result/system")


@pytest.fixture(scope="module")
def old_firewall(running_lab):
    """The primary of a pair launched from the lab's 10.2 AMI (no HA configured)."""
    pair = launch_pair(running_lab, version_line="10.2")
    fw = running_lab.wait_up(pair.primary)
    set_password(fw, pair.key_file)
    return pair, connect(fw)


def test_a_firewall_runs_the_version_of_its_ami_with_the_plugin_that_version_ships(old_firewall):
    _, device = old_firewall
    system = system_info(device)
    assert system.findtext("sw-version") == "10.2.10-h9"
    assert system.find("plugin_versions/entry[@name='vm_series']").get("version") == "3.0.6"


def test_pan_os_python_checks_downloads_installs_and_reboots_into_the_new_version(old_firewall, running_lab):
    pair, device = old_firewall
    device.software.check()
    assert device.version == "10.2.10-h9"
    assert {"11.0.0", "11.0.6", "11.1.4-h7"} <= set(device.software.versions)
    assert device.software.versions["11.0.6"]["downloaded"] in (False, "no")
    device.software.download("11.0.6", sync=True)
    # A maintenance release of another feature release needs that release's base image first.
    with pytest.raises(PanDeviceXapiError, match="Base image 11.0.0"):
        device.software.install("11.0.6", sync=True)
    device.software.download("11.0.0", sync=True)
    result = device.software.install("11.0.6", sync=True)
    assert result["success"], result
    device.software.info()
    assert device.version == "10.2.10-h9"  # installed, not yet running
    device.restart()
    # Polled faster than its default 5 s: the fast profile boots in under 3 s.
    assert device.syncreboot(interval=0.1) == "11.0.6"
    system = system_info(device)
    assert system.findtext("sw-version") == "11.0.6"
    assert system.find("plugin_versions/entry[@name='vm_series']").get("version") == "4.0.4"
    assert any(e["kind"] == "software_booted" and e["version"] == "11.0.6" for e in running_lab.counters(pair.primary)["events"])


def test_a_failed_download_and_install_leave_the_running_version_alone(old_firewall, running_lab):
    pair, device = old_firewall
    before = system_info(device).findtext("sw-version")
    device.software.check()
    assert running_lab.cli("fault", "set", "--kind", "download-fail", "--instance", pair.primary, "--count", "1",
                           "--message", "Failed to download file from update server").returncode == 0
    with pytest.raises(PanDeviceError, match="Failed to download file from update server"):
        device.software.download("10.2.13", sync=True)
    assert running_lab.cli("fault", "set", "--kind", "install-fail", "--instance", pair.primary, "--count", "1").returncode == 0
    installed = next(v for v, entry in device.software.versions.items()
                     if entry["downloaded"] not in (False, "no") and v != before)
    with pytest.raises(PanDeviceError, match="injected install-fail"):
        device.software.install(installed, sync=True)
    device.software.info()
    assert device.version == before and device.software.versions["10.2.13"]["downloaded"] is False
