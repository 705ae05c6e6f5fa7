"""`daicho demo`: the fictional demo city, loaded through the same services as the API.
`city.py` (departments, users, the three city ledgers), `workflows.py` (their processes,
notification rules and reminders), `plan.py` with `plan_audits.py`, `plan_governance.py` and
`plan_sources.py` (the IT optimisation plan's ledgers, keyed for daicho.plan)."""
