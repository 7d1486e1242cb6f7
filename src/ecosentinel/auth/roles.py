"""Roles and permissions: the one table that says who may do what (BRIEF: users and their rights).

Every web route depends on ``require(Perm.X)`` (or ``public``); scoping by enterprise / O&M agency /
transferred case is applied on top of the permission by the services (see ``ecosentinel.registry.scope``).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # 系统管理员
    ANALYST = "analyst"  # 监控中心分析员
    PATROL = "patrol"  # 第三方巡查
    OFFICER = "officer"  # 执法人员
    LEADER = "leader"  # 局领导
    PERMIT_OFFICE = "permit_office"  # 排污许可科
    OM_AGENCY = "om_agency"  # 运维单位（仅本单位运维的点位）
    ENTERPRISE = "enterprise"  # 排污单位（仅本企业数据）
    POLICE = "police"  # 公安联络员（仅已移送案件）
    PUBLIC = "public"  # 公众（仅公开信息）


class Perm(StrEnum):
    """Permissions checked by routes. Names are ``area.action``."""

    DATA_READ = "data.read"  # readings, station curves (scoped for enterprise / om_agency)
    FINDINGS_READ = "findings.read"  # screening findings (scoped)
    SCREENING_RUN = "screening.run"  # start a screening pass
    WARNINGS_READ = "warnings.read"
    WARNINGS_TRIAGE = "warnings.triage"  # review, dismiss with reason, escalate, propose rule adjustments
    WARNINGS_RESPOND = "warnings.respond"  # an enterprise answers its own warnings, submits rectification
    TASKS_READ = "tasks.read"
    TASKS_DISPATCH = "tasks.dispatch"  # create / assign / reassign tasks
    INSPECTIONS_WRITE = "inspections.write"  # fill in the on-site checklist, record a warning's outcome
    ADJUSTMENTS_APPROVE = "adjustments.approve"  # approve / reject / revoke rule adjustments (calibration)
    LEDGER_READ = "ledger.read"
    LEDGER_WRITE = "ledger.write"
    CASES_READ = "cases.read"  # police: only transferred cases
    CASES_WRITE = "cases.write"
    CASES_TRANSFER = "cases.transfer"  # 移送公安/检察
    PLANS_READ = "plans.read"
    PLANS_MANAGE = "plans.manage"  # plans and double-random draws
    REPORTS_READ = "reports.read"
    REGISTRY_READ = "registry.read"  # scoped for enterprise / om_agency
    REGISTRY_WRITE = "registry.write"
    PERMITS_READ = "permits.read"
    PERMITS_WRITE = "permits.write"
    EVENTS_WRITE = "events.write"  # working-condition, door and camera events
    OM_READ = "om.read"  # scoped for om_agency / enterprise
    OM_WRITE = "om.write"  # maintenance, fault, spare-part records
    OM_RATE = "om.rate"  # quarterly O&M assessment
    EVALUATION_READ = "evaluation.read"
    AUDIT_READ = "audit.read"
    INTERFERENCE_WRITE = "interference.write"  # 干预留痕: register a request to change results
    USERS_MANAGE = "users.manage"
    FORWARD_MANAGE = "forward.manage"  # upstream forwarding targets, their mapping and status (admin)
    COMMANDS_SEND = "commands.send"  # remote commands (反控) to a field logger
    MARKS_WRITE = "marks.write"  # mark periods under the national marking rules (enterprise, O&M agency)
    MARKS_REVIEW = "marks.review"  # approve or reject marks
    COMPLAINTS_READ = "complaints.read"  # public reports (举报) and hotline tickets: the triage queue
    COMPLAINTS_TRIAGE = "complaints.triage"  # enter hotline reports, merge, link, make a task, close, reply
    COMPLAINTS_IDENTITY = "complaints.identity"  # the reporter's name and phone (needed to call back)
    CREDIT_MANAGE = "credit.manage"  # joint-punishment credit records (联合惩戒): create, withdraw, export


_STAFF_READ = frozenset(
    {
        Perm.DATA_READ,
        Perm.FINDINGS_READ,
        Perm.WARNINGS_READ,
        Perm.TASKS_READ,
        Perm.LEDGER_READ,
        Perm.CASES_READ,
        Perm.PLANS_READ,
        Perm.REPORTS_READ,
        Perm.REGISTRY_READ,
        Perm.PERMITS_READ,
        Perm.OM_READ,
        Perm.EVALUATION_READ,
        Perm.INTERFERENCE_WRITE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.ANALYST: _STAFF_READ
    | {
        Perm.SCREENING_RUN,
        Perm.WARNINGS_TRIAGE,
        Perm.TASKS_DISPATCH,
        Perm.REGISTRY_WRITE,
        Perm.EVENTS_WRITE,
        Perm.OM_RATE,
        Perm.AUDIT_READ,
        Perm.COMMANDS_SEND,
        Perm.MARKS_REVIEW,
        Perm.COMPLAINTS_READ,
        Perm.COMPLAINTS_TRIAGE,
        Perm.COMPLAINTS_IDENTITY,
    },
    Role.PATROL: frozenset(
        {
            Perm.DATA_READ,
            Perm.FINDINGS_READ,
            Perm.WARNINGS_READ,
            Perm.WARNINGS_TRIAGE,
            Perm.TASKS_READ,
            Perm.REGISTRY_READ,
            Perm.OM_READ,
            Perm.INTERFERENCE_WRITE,
        }
    ),
    Role.OFFICER: _STAFF_READ
    | {
        Perm.WARNINGS_TRIAGE,
        Perm.TASKS_DISPATCH,
        Perm.INSPECTIONS_WRITE,
        Perm.LEDGER_WRITE,
        Perm.CASES_WRITE,
        Perm.CASES_TRANSFER,
        Perm.PLANS_MANAGE,
        Perm.COMPLAINTS_READ,
        Perm.COMPLAINTS_IDENTITY,
        Perm.CREDIT_MANAGE,
    },
    Role.LEADER: _STAFF_READ
    | {Perm.AUDIT_READ, Perm.TASKS_DISPATCH, Perm.ADJUSTMENTS_APPROVE, Perm.COMPLAINTS_READ},
    Role.PERMIT_OFFICE: frozenset(
        {
            Perm.DATA_READ,
            Perm.REGISTRY_READ,
            Perm.REGISTRY_WRITE,
            Perm.PERMITS_READ,
            Perm.PERMITS_WRITE,
            Perm.EVALUATION_READ,
            Perm.REPORTS_READ,
            Perm.INTERFERENCE_WRITE,
        }
    ),
    Role.OM_AGENCY: frozenset(
        {
            Perm.DATA_READ,
            Perm.FINDINGS_READ,
            Perm.REGISTRY_READ,
            Perm.OM_READ,
            Perm.OM_WRITE,
            Perm.EVENTS_WRITE,
            Perm.MARKS_WRITE,
        }
    ),
    Role.ENTERPRISE: frozenset(
        {
            Perm.DATA_READ,
            Perm.FINDINGS_READ,
            Perm.REGISTRY_READ,
            Perm.PERMITS_READ,
            Perm.OM_READ,
            Perm.EVALUATION_READ,
            Perm.EVENTS_WRITE,
            Perm.MARKS_WRITE,
            Perm.WARNINGS_RESPOND,
        }
    ),
    Role.POLICE: frozenset({Perm.CASES_READ}),
    Role.PUBLIC: frozenset(),
}
"""Role → permissions. Public pages need no permission (they use the ``public`` marker)."""

PERM_NAMES_ZH: dict[Perm, str] = {
    Perm.DATA_READ: "查看监测数据",
    Perm.FINDINGS_READ: "查看筛查线索",
    Perm.SCREENING_RUN: "发起筛查",
    Perm.WARNINGS_READ: "查看预警",
    Perm.WARNINGS_TRIAGE: "研判预警",
    Perm.WARNINGS_RESPOND: "答复本企业预警",
    Perm.TASKS_READ: "查看任务",
    Perm.TASKS_DISPATCH: "派发任务",
    Perm.INSPECTIONS_WRITE: "填写现场检查",
    Perm.ADJUSTMENTS_APPROVE: "审批规则调整",
    Perm.LEDGER_READ: "查看问题台账",
    Perm.LEDGER_WRITE: "登记问题台账",
    Perm.CASES_READ: "查看案件",
    Perm.CASES_WRITE: "办理案件",
    Perm.CASES_TRANSFER: "移送案件",
    Perm.PLANS_READ: "查看检查计划",
    Perm.PLANS_MANAGE: "管理检查计划与双随机抽查",
    Perm.REPORTS_READ: "查看报表",
    Perm.REGISTRY_READ: "查看登记信息",
    Perm.REGISTRY_WRITE: "维护登记信息",
    Perm.PERMITS_READ: "查看排污许可",
    Perm.PERMITS_WRITE: "维护排污许可",
    Perm.EVENTS_WRITE: "登记工况与站房事件",
    Perm.OM_READ: "查看运维记录",
    Perm.OM_WRITE: "填报运维记录",
    Perm.OM_RATE: "运维考核",
    Perm.EVALUATION_READ: "查看企业评价",
    Perm.AUDIT_READ: "查看审计日志",
    Perm.INTERFERENCE_WRITE: "登记干预记录",
    Perm.USERS_MANAGE: "管理用户账号",
    Perm.FORWARD_MANAGE: "管理级联转发",
    Perm.COMMANDS_SEND: "下发反控命令",
    Perm.MARKS_WRITE: "填报数据标记",
    Perm.MARKS_REVIEW: "审核数据标记",
    Perm.COMPLAINTS_READ: "查看举报与投诉",
    Perm.COMPLAINTS_TRIAGE: "受理办理举报",
    Perm.COMPLAINTS_IDENTITY: "查看举报人身份",
    Perm.CREDIT_MANAGE: "管理信用惩戒记录",
}
"""Each permission as the refusal message names it."""

ROLE_NAMES_ZH: dict[Role, str] = {
    Role.ADMIN: "系统管理员",
    Role.ANALYST: "监控中心分析员",
    Role.PATROL: "第三方巡查",
    Role.OFFICER: "执法人员",
    Role.LEADER: "局领导",
    Role.PERMIT_OFFICE: "排污许可科",
    Role.OM_AGENCY: "运维单位",
    Role.ENTERPRISE: "排污单位",
    Role.POLICE: "公安联络员",
    Role.PUBLIC: "公众",
}


def has_permission(role: Role, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS[role]
