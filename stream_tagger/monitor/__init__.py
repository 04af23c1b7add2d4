"""Around-the-clock monitoring, beside the core (which never imports this package): alert rules
and their notifications (:mod:`.alerts`), Prometheus metrics (:mod:`.metrics`), as-run logs
(:mod:`.asrun`), one stream's monitoring (:mod:`.observer`), the ``live``/``replay`` options
(:mod:`.options`) and the ``monitor`` command for many feeds (:mod:`.command`, :mod:`.config`)."""
