"""The parsers of module_utils/software.py on the answers' shapes (the plugin listing's elements as
pan-os-python's and pango's test fixtures show them)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.vmseries.aws_ha.plugins.module_utils import software

PACKAGES = """<response status="success"><result><plugins>
<entry><name>vm_series</name><version>5.1.4</version><release-date></release-date>
<release-note-url><![CDATA[]]></release-note-url><pkg-file>vm_series-5.1.4</pkg-file><size>15M</size>
<platform>any</platform><installed>no</installed><downloaded>no</downloaded></entry>
<entry><name>vm_series</name><version>5.1.2</version><release-date>Built-in</release-date>
<release-note-url><![CDATA[]]></release-note-url><pkg-file>vm_series-5.1.2</pkg-file><size>15M</size>
<platform>any</platform><installed>yes</installed><downloaded>yes</downloaded></entry>
<entry><name>dlp</name><version>5.1.2</version><pkg-file>dlp-5.1.2</pkg-file><installed>yes</installed></entry>
</plugins></result></response>"""


def test_only_the_vm_series_plugin_is_listed_by_version():
    listed = software.parse_plugins(ET.fromstring(PACKAGES))
    assert sorted(listed) == ["5.1.2", "5.1.4"]
    assert listed["5.1.2"]["release-date"] == "Built-in" and listed["5.1.2"]["installed"] == "yes"
    assert listed["5.1.4"]["pkg-file"] == "vm_series-5.1.4" and listed["5.1.4"]["downloaded"] == "no"


def test_the_plugin_commands():
    assert software.plugin_download("vm_series-5.1.4") == (
        "<request><plugins><download><file>vm_series-5.1.4</file></download></plugins></request>")
    assert software.plugin_install("vm_series-5.1.4") == "<request><plugins><install>vm_series-5.1.4</install></plugins></request>"
