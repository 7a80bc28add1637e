"""The lab: a local twin of AWS (moto) and of VM-Series firewalls in HA."""
