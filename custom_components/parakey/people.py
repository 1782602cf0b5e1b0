"""People: the Parakey users seen in the log, and the Home Assistant persons they are.

Every user a log names is remembered (id, name, e-mail, last unlock), so the
options can offer them for linking at any time. A log whose user Parakey
erased names nobody, and nobody is invented for it. Links live in the
entry's options; the user makes them, a name match only suggests one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Final
import unicodedata

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import SelectOptionDict
from homeassistant.util import dt as dt_util

from .api import format_datetime, parse_datetime
from .const import CONF_PEOPLE
from .storage import ParakeyStore
from .unlock import Unlock

SECTION = "people"
# A user who has not unlocked for this long is forgotten (unless linked): the
# pickers list the people of the place, not everyone who ever worked there.
USER_RETENTION: Final = timedelta(days=180)
PRUNE_EVERY: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class KnownUser:
    """A Parakey user as last seen in the log."""

    user_id: str
    name: str | None = None
    email: str | None = None
    last_door_id: str | None = None
    last_unlock: datetime | None = None
    # The last unlock that was not delayed: what presence may act on.
    last_timely_unlock: datetime | None = None

    @property
    def label(self) -> str:
        """How to show the user: the name, else the id."""
        return self.name or self.user_id

    def as_dict(self) -> dict[str, Any]:
        """The stored form (built when the user changes, not at every save)."""
        last, timely = self.last_unlock, self.last_timely_unlock
        return {
            "user_id": self.user_id,
            "name": self.name,
            "email": self.email,
            "last_door_id": self.last_door_id,
            "last_unlock": format_datetime(last) if last else None,
            "last_timely_unlock": format_datetime(timely) if timely else None,
        }

    @classmethod
    def from_dict(cls, data: Any) -> KnownUser | None:
        """Restore ``as_dict``; None for damaged data."""
        if not isinstance(data, dict) or not isinstance(data.get("user_id"), str):
            return None

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            user_id=data["user_id"],
            name=text("name"),
            email=text("email"),
            last_door_id=text("last_door_id"),
            last_unlock=parse_datetime(data.get("last_unlock")),
            last_timely_unlock=parse_datetime(data.get("last_timely_unlock")),
        )


@lru_cache(maxsize=4096)
def normalise_name(name: str) -> tuple[str, ...]:
    """A name with case, accents and word order ignored."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return tuple(sorted(plain.casefold().split()))


class PeopleDirectory:
    """Known Parakey users of one entry, and their links to persons."""

    def __init__(
        self, store: ParakeyStore, links: Mapping[str, str] | None = None
    ) -> None:
        """Restore the known users; ``links`` maps user ids to person entities."""
        self._store = store
        self.links: dict[str, str] = dict(links or {})
        self._users: dict[str, KnownUser] = {}
        # Each user's stored form, kept up to date: a save writes a thousand
        # users without formatting a thousand dates.
        self._stored: dict[str, dict[str, Any]] = {}
        stored = store.section(SECTION)
        for raw in stored if isinstance(stored, list) else []:
            if user := KnownUser.from_dict(raw):
                self._remember(user)
        self._prune(dt_util.utcnow())
        # By the time of the unlocks themselves, so a catch-up of a year of
        # history forgets as it goes.
        self._pruned_at: datetime | None = None
        store.async_add_section(SECTION, self._dump)

    def _dump(self) -> list[dict[str, Any]]:
        return list(self._stored.values())

    def _remember(self, user: KnownUser) -> None:
        self._users[user.user_id] = user
        self._stored[user.user_id] = user.as_dict()

    def _prune(self, now: datetime) -> None:
        """Forget users who have not unlocked for half a year, unless linked."""
        horizon = now - USER_RETENTION
        for user in list(self._users.values()):
            seen = user.last_unlock
            if seen is not None and seen < horizon and user.user_id not in self.links:
                del self._users[user.user_id], self._stored[user.user_id]

    @property
    def users(self) -> dict[str, KnownUser]:
        """Known users by id."""
        return self._users

    @callback
    def async_set_links(self, links: Mapping[str, str]) -> None:
        """Take the links the options hold now."""
        self.links = dict(links)

    def label(self, user_id: str) -> str:
        """How to show a user: the name, else the id."""
        user = self._users.get(user_id)
        return user.label if user else user_id

    def user_choices(self, persons: Mapping[str, str]) -> list[SelectOptionDict]:
        """Every known user for a picker: the name, and the linked person's.

        Namesakes get their id, so two Alice Anderssons can be told apart.
        """
        counts = Counter(user.label.casefold() for user in self._users.values())
        choices = []
        for user in self._users.values():
            label = user.label
            if counts[label.casefold()] > 1:
                label = f"{label} ({user.user_id})"
            person = persons.get(self.links.get(user.user_id, ""))
            if person and person.casefold() != user.label.casefold():
                label = f"{label} ({person})"
            choices.append(SelectOptionDict(value=user.user_id, label=label))
        return sorted(choices, key=lambda choice: choice["label"].casefold())

    def find_users(self, text: str, persons: Mapping[str, str]) -> list[str]:
        """The users ``text`` names: a user id, a linked person, or a name.

        An id or person wins outright; names match as the suggestions do
        (case, accents, word order and missing words do not matter).
        """
        text = text.strip()
        if text in self._users:
            return [text]
        if linked := [u for u, person in self.links.items() if person == text]:
            return linked
        exact = normalise_name(text)
        by_name = [
            u.user_id
            for u in self._users.values()
            if u.name and normalise_name(u.name) == exact
        ]
        if by_name:
            return by_name
        by_person = [
            u
            for u, person in self.links.items()
            if normalise_name(persons.get(person, "")) == exact
        ]
        if by_person:
            return by_person
        return [
            u.user_id
            for u in self._users.values()
            if u.name and names_match(text, u.name)
        ]

    def user_ids_of(self, who: Collection[str]) -> set[str]:
        """The users ``who`` names: linked persons, ids, full names (as in triggers)."""
        ids = {user for user, person in self.links.items() if person in who}
        names = {normalise_name(w) for w in who}
        for user in self._users.values():
            if user.user_id in who or (
                user.name and normalise_name(user.name) in names
            ):
                ids.add(user.user_id)
        # An id Home Assistant has not seen yet may still unlock.
        ids.update(w for w in who if not w.startswith("person."))
        return ids

    def person_of(self, user_id: str | None) -> str | None:
        """The person entity linked to ``user_id``, if any."""
        return self.links.get(user_id) if user_id else None

    @callback
    def async_note(self, unlock: Unlock) -> None:
        """Remember the user an unlock names (a nameless log keeps the known name)."""
        log = unlock.log
        if log.user_id is None:
            return
        known = self._users.get(log.user_id) or KnownUser(log.user_id)
        newer = known.last_unlock is None or log.timestamp >= known.last_unlock
        timely = known.last_timely_unlock
        if not unlock.delayed and (timely is None or log.timestamp > timely):
            timely = log.timestamp
        self._remember(
            KnownUser(
                user_id=log.user_id,
                name=log.user_name or known.name,
                email=log.user_email or known.email,
                last_door_id=log.door_id if newer else known.last_door_id,
                last_unlock=log.timestamp if newer else known.last_unlock,
                last_timely_unlock=timely,
            )
        )
        if self._pruned_at is None or log.timestamp - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = log.timestamp
            self._prune(log.timestamp)
        self._store.async_schedule_save()


def person_names(hass: HomeAssistant) -> dict[str, str]:
    """Every person entity and the name it shows."""
    return {state.entity_id: state.name for state in hass.states.async_all("person")}


def names_match(user_name: str, person_name: str) -> bool:
    """Whether two names may be the same person: every word of one is in the other.

    "Bob" and "Bob Berg" match, as do "andersson älice" and "Alice Andersson";
    "Bob" and "Bobby" do not.
    """
    user, person = set(normalise_name(user_name)), set(normalise_name(person_name))
    return bool(user and person) and (user <= person or person <= user)


def suggest_person(user: KnownUser, persons: Mapping[str, str]) -> str | None:
    """The one person the user's name points to: an exact match, else a partial one."""
    if not user.name:
        return None
    wanted = normalise_name(user.name)
    exact = [eid for eid, name in persons.items() if normalise_name(name) == wanted]
    if exact:
        return exact[0] if len(exact) == 1 else None
    partial = [eid for eid, name in persons.items() if names_match(user.name, name)]
    return partial[0] if len(partial) == 1 else None


def suggest_links(
    people: PeopleDirectory,
    persons: Mapping[str, str],
    *,
    only: Iterable[str] | None = None,
) -> dict[str, str]:
    """Links a name match suggests for unlinked users, to be confirmed by the user.

    A person already linked is not suggested again, and a person two users
    point to is suggested for neither: a suggestion must be unambiguous.
    """
    free = {
        eid: name for eid, name in persons.items() if eid not in people.links.values()
    }
    wanted = set(only) if only is not None else None
    candidates = {
        user.user_id: person
        for user in people.users.values()
        if user.user_id not in people.links
        and (wanted is None or user.user_id in wanted)
        and (person := suggest_person(user, free))
    }
    if wanted is not None:
        return candidates
    counts = Counter(candidates.values())
    return {user: person for user, person in candidates.items() if counts[person] == 1}


def who_matches(who: Collection[str], unlock: Mapping[str, Any]) -> bool:
    """Whether an unlock (its bus event data) is by one of ``who``; empty is anyone.

    Each of ``who`` is a person, a Parakey user id, or a Parakey user's full
    name (case, accents and word order do not matter).
    """
    if not who:
        return True
    name = normalise_name(unlock.get("user_name") or "")
    return any(
        w in (unlock.get("person_entity_id"), unlock.get("user_id"))
        or (name and normalise_name(w) == name)
        for w in who
    )


def links_from_options(options: Mapping[str, Any]) -> dict[str, str]:
    """The user-to-person links an entry's options hold."""
    raw = options.get(CONF_PEOPLE)
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, str) and v}
