"""Use cases: what the command line, the API, the web pages and the reports ask of landrelease.

One module per use case (import and export, assess, plan, forecast, readiness, report data,
summary and checks, recording activity). Each reads a typed portfolio of hazard areas from
storage, calls the pure core (domain, model, planning, returns) and writes typed results
back in one unit of work. The adapters (``cli``, ``api``, ``web``, ``reports``) call these
functions with plain arguments and only format what they return; none of them holds SQL.
"""
