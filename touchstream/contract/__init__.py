"""The event contract (tracking plan): catalogue, flows and the validator."""

from touchstream.contract.definitions import Catalogue, Flow, default_catalogue, load_catalogue
from touchstream.contract.validate import EventRejected, EventValidator

__all__ = ["Catalogue", "EventRejected", "EventValidator", "Flow", "default_catalogue", "load_catalogue"]
