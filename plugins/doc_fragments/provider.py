# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The keys of paloaltonetworks.panos's provider, for every way our modules take one:
    # `provider` with the API wait (DOCUMENTATION), `provider` alone (PROVIDER_ONLY), or one per
    # node of a pair (PAIR). ansible-test reads fragments as literals, so the suboptions repeat.
    DOCUMENTATION = r"""
options:
  provider:
    description:
      - Connection to the firewall, with the keys of the C(provider) of paloaltonetworks.panos, so
        a play can share it between both collections (C(module_defaults) for the
        C(vmseries.aws_ha.panos) action group).
    type: dict
    required: true
    suboptions:
      ip_address:
        description: Address of the firewall's management interface (XML API).
        type: str
        required: true
      username:
        description: Administrator to log in as.
        type: str
        default: admin
      password:
        description: Its password; keep it in Ansible Vault.
        type: str
      api_key:
        description: An API key, used instead of username and password.
        type: str
      port:
        description: HTTPS port of the XML API.
        type: int
        default: 443
      serial_number:
        description: Not used (no Panorama); accepted so provider dicts can be shared.
        type: str
  api_wait_timeout:
    description:
      - Seconds to wait for the firewall's XML API to answer at all (a firewall booting after launch
        refuses connections, answers HTTP 5xx or "not ready"), polling with exponential backoff up
        to 10 s; the wait is reported in the C(api_wait) result. Once the firewall has answered,
        transient errors are retried three times. Invalid credentials (HTTP 403) fail at once.
    type: int
    default: 600

requirements:
  - pan-os-python
"""

    PROVIDER_ONLY = r"""
options:
  provider:
    description:
      - Connection to the firewall, with the keys of the C(provider) of paloaltonetworks.panos, so
        a play can share it between both collections (C(module_defaults) for the
        C(vmseries.aws_ha.panos) action group).
    type: dict
    required: true
    suboptions:
      ip_address:
        description: Address of the firewall's management interface (XML API).
        type: str
        required: true
      username:
        description: Administrator to log in as.
        type: str
        default: admin
      password:
        description: Its password; keep it in Ansible Vault.
        type: str
      api_key:
        description: An API key, used instead of username and password.
        type: str
      port:
        description: HTTPS port of the XML API.
        type: int
        default: 443
      serial_number:
        description: Not used (no Panorama); accepted so provider dicts can be shared.
        type: str

requirements:
  - pan-os-python
"""

    PAIR = r"""
options:
  primary:
    description: Connection to the primary firewall, with the keys of the C(provider) of paloaltonetworks.panos.
    type: dict
    required: true
    suboptions:
      ip_address:
        description: Address of the firewall's management interface (XML API).
        type: str
        required: true
      username:
        description: Administrator to log in as.
        type: str
        default: admin
      password:
        description: Its password; keep it in Ansible Vault.
        type: str
      api_key:
        description: An API key, used instead of username and password.
        type: str
      port:
        description: HTTPS port of the XML API.
        type: int
        default: 443
      serial_number:
        description: Not used (no Panorama); accepted so provider dicts can be shared.
        type: str
  secondary:
    description: Connection to the secondary firewall, with the keys of the C(provider) of paloaltonetworks.panos.
    type: dict
    required: true
    suboptions:
      ip_address:
        description: Address of the firewall's management interface (XML API).
        type: str
        required: true
      username:
        description: Administrator to log in as.
        type: str
        default: admin
      password:
        description: Its password; keep it in Ansible Vault.
        type: str
      api_key:
        description: An API key, used instead of username and password.
        type: str
      port:
        description: HTTPS port of the XML API.
        type: int
        default: 443
      serial_number:
        description: Not used (no Panorama); accepted so provider dicts can be shared.
        type: str

requirements:
  - pan-os-python
"""
