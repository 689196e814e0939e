"""Events: one row per real-world conflict event, however many outlets and updates report it
(the events step, after tagging).

    merge    the merge rule (type, country, date window, place, actors) and an event's summary of its reports
    runner   `record_events`: what the events task calls
"""
