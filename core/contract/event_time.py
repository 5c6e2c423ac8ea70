"""Event time the server can vouch for, derived from its receive time and the client's clocks.

A device clock can be anything: minutes fast, hours slow, reset to 1970. Trusting it let one
fast phone drag the stream job's watermark ahead of everyone else. So the event time in the
log is derived (Snowplow's "derived timestamp"):

- with ``sent_at`` (the device clock when the request left it): the event happened
  ``sent_at - client_ts`` before it was sent, as measured by one and the same clock, so its
  offset cancels out: ``ts = received_at - (sent_at - client_ts)``. An app flushing ten
  minutes of offline events gets each event's true time back, whatever its clock says;
- without ``sent_at``: ``ts = min(client_ts, received_at)``. A fast clock is clamped to the
  server's receive time; a slow clock is believed (it can only make an event look older).

Either way ``ts <= received_at``: no client can move time past the server's clock. The
network transit time is not subtracted (unknown); it makes an event look that much later.
"""

from __future__ import annotations


def derive_event_time(client_ts: int, sent_at: int | None, received_at: int) -> int:
    """The event time to log, in epoch ms; never later than ``received_at``."""
    if sent_at is None:
        return min(client_ts, received_at)
    return min(received_at - (sent_at - client_ts), received_at)
