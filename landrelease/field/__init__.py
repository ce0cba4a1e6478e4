"""Field operations, as pure rules: what the register accepts from the field and how it is checked.

- :mod:`~landrelease.field.reports`: the daily report's rules (unknown team, task or area,
  a future date, negative or impossible areas, finds outside the area) and idempotency (a
  resend counts once; one UUID with two contents is refused, naming the fields).
- :mod:`~landrelease.field.review`: the review state machine (submitted → under review →
  approved, or returned with a reason → resubmitted) for daily reports, activities and
  proposed hazard-area changes.
- :mod:`~landrelease.field.qa`: post-clearance inspection by sampling (IMAS 09.20),
  nonconformities and their severity; a critical one reopens the land as a new record.
- :mod:`~landrelease.field.handover`: the handover certificate of released land (IMAS 08.30).
- :mod:`~landrelease.field.casualty`: accidents (evidence for the contamination model) and
  victims (GICHD minimum data; names and contacts are personal data).
- :mod:`~landrelease.field.eore`: explosive ordnance risk education sessions and their
  beneficiaries by sex and age band.
- :mod:`~landrelease.field.personal`: which fields are personal data, and who may see them.

No I/O here: the services read the register, call these rules and write the results.
"""
