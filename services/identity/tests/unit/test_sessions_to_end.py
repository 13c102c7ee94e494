import uuid

from millbook_identity.auth.domain import SessionRow, sessions_to_end


def login(rows: int) -> list[SessionRow]:
    """A login refreshed `rows - 1` times: rows of one family, the last one current."""
    family = uuid.uuid4()
    return [SessionRow(family if i == 0 else uuid.uuid4(), family) for i in range(rows)]


def test_a_password_change_ends_every_other_login_and_keeps_the_one_that_made_it():
    laptop, phone, tablet = login(3), login(2), login(1)
    live = [*laptop, *phone, *tablet]

    ended = sessions_to_end(live, keeping=laptop[-1].id)

    assert set(ended) == {row.id for row in [*phone, *tablet]}


def test_an_older_row_of_the_kept_login_keeps_its_whole_login():
    laptop, phone = login(3), login(1)

    ended = sessions_to_end([*laptop, *phone], keeping=laptop[0].id)

    assert ended == [phone[0].id]


def test_without_a_session_to_keep_every_login_ends():
    live = [*login(2), *login(1)]

    assert sessions_to_end(live, keeping=None) == [row.id for row in live]
    assert sessions_to_end(live, keeping=uuid.uuid4()) == [row.id for row in live]
