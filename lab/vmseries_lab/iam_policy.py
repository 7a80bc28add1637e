"""Does an instance's IAM role allow an EC2 action? The question a VM-Series answers the hard way
on AWS when it moves the dataplane ENIs with the credentials of its instance profile.

moto does not enforce IAM, so the lab evaluates the role's identity-based policies itself:
explicit Deny wins, then any Allow; Action/NotAction and Resource/NotResource with wildcards;
conditions StringEquals/StringLike (and their Not forms) on ``aws:ResourceTag/<key>`` and
``ec2:ResourceTag/<key>``, and Bool on the request's keys (REQUEST_CONTEXT). Any other condition
operator or key does not match, so an unknown condition never grants access.
"""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

ACCOUNT = "123456789012"
# What the lab knows of every request: its clients stand for SDKs and firewalls talking to AWS's
# HTTPS endpoints (an assumption: the lab itself answers plain HTTP).
REQUEST_CONTEXT = {"aws:securetransport": "true"}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def _as_list(value: Any) -> List[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(patterns: Iterable[str], value: str, case_sensitive: bool) -> bool:
    for pattern in patterns:
        if case_sensitive:
            if fnmatch.fnmatchcase(value, pattern):
                return True
        elif fnmatch.fnmatchcase(value.lower(), pattern.lower()):
            return True
    return False


def condition_holds(condition: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
    """A statement's Condition block, for a resource with these tags."""
    for operator, clauses in condition.items():
        for key, expected in clauses.items():
            expected = [str(e) for e in _as_list(expected)]
            lowered = key.lower()
            if lowered.startswith(("aws:resourcetag/", "ec2:resourcetag/")):
                actual = tags.get(key.split("/", 1)[1])
            elif lowered in REQUEST_CONTEXT:
                actual = REQUEST_CONTEXT[lowered]
            else:
                return False
            if operator == "Bool":
                ok = actual is not None and actual in [e.lower() for e in expected]
            elif operator == "StringEquals":
                ok = actual is not None and actual in expected
            elif operator == "StringLike":
                ok = actual is not None and _matches(expected, actual, True)
            elif operator == "StringNotEquals":
                ok = actual is None or actual not in expected
            elif operator == "StringNotLike":
                ok = actual is None or not _matches(expected, actual, True)
            else:
                return False
            if not ok:
                return False
    return True


def _statement_applies(statement: Mapping[str, Any], action: str, resource: str, tags: Mapping[str, str]) -> bool:
    if "Action" in statement and not _matches(_as_list(statement["Action"]), action, False):
        return False
    if "NotAction" in statement and _matches(_as_list(statement["NotAction"]), action, False):
        return False
    if "Resource" in statement and not _matches(_as_list(statement["Resource"]), resource, True):
        return False
    if "NotResource" in statement and _matches(_as_list(statement["NotResource"]), resource, True):
        return False
    return condition_holds(statement.get("Condition") or {}, tags)


def evaluate(documents: Iterable[Mapping[str, Any]], action: str, resource: str,
             tags: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """'Allow', 'Deny' (explicit) or None (implicit deny) for one action on one resource."""
    verdict = None
    for document in documents:
        for statement in _as_list(document.get("Statement")):
            if _statement_applies(statement, action, resource, tags or {}):
                if statement.get("Effect") == "Deny":
                    return "Deny"
                if statement.get("Effect") == "Allow":
                    verdict = "Allow"
    return verdict


def _document(raw: Any) -> Dict[str, Any]:
    if isinstance(raw, str):
        return json.loads(urllib.parse.unquote(raw))
    return raw


def role_of_instance(ec2: Any, iam: Any, instance_id: str) -> Tuple[Optional[str], List[Dict[str, Any]]]:
    """The role name of the instance's profile and its policy documents (attached and inline)."""
    associations = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [instance_id]}])["IamInstanceProfileAssociations"]
    associations = [a for a in associations if a.get("State", "associated") == "associated"]
    if not associations:
        return None, []
    profile_name = associations[0]["IamInstanceProfile"]["Arn"].rsplit("/", 1)[-1]
    roles = iam.get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"]["Roles"]
    if not roles:
        return None, []
    role = roles[0]["RoleName"]
    documents = []
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
        documents.append(_document(version["PolicyVersion"]["Document"]))
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        documents.append(_document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]))
    return role, documents


def check(ec2: Any, iam: Any, region: str, instance_id: str, action: str, resource_arn: str,
          tags: Optional[Mapping[str, str]] = None) -> Decision:
    """Whether the instance's own role may perform `action` on `resource_arn`, with the refusal in
    the words of the action's service when it may not: EC2's UnauthorizedOperation, S3's
    AccessDenied."""
    role, documents = role_of_instance(ec2, iam, instance_id)
    if role is None:
        return Decision(False, f"Unable to locate credentials: instance {instance_id} has no IAM instance profile "
                               "(it must be given at launch)")
    verdict = evaluate(documents, action, resource_arn, tags)
    if verdict == "Allow":
        return Decision(True, "allowed")
    why = "an explicit deny in an identity-based policy" if verdict == "Deny" else \
        f"no identity-based policy allows the {action} action"
    refusal = "AccessDenied: " if action.startswith("s3:") else \
        "UnauthorizedOperation: You are not authorized to perform this operation. "
    return Decision(False, (
        f"{refusal}User: "
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{instance_id} is not authorized to perform: {action} "
        f"on resource: {resource_arn} because {why}"))


def arn(region: str, kind: str, resource_id: str) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:{kind}/{resource_id}"
