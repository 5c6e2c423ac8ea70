"""The event contract (tracking plan): catalogue, flows and the validator."""

from core.contract.definitions import Catalogue, Flow, default_catalogue, load_catalogue
from core.contract.validate import EventRejected, EventValidator

__all__ = ["Catalogue", "EventRejected", "EventValidator", "Flow", "default_catalogue", "load_catalogue"]
