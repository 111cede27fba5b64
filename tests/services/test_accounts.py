import pytest

from app.errors import AuthError, ConflictError, InvalidInputError, PermissionDeniedError, RateLimitedError, TavernError
from app.services.container import Services

PASSWORD = 'correct horse battery'


async def test_first_account_is_admin_and_later_ones_are_users(services: Services) -> None:
    first = await services.accounts.register('Alice', PASSWORD)
    second = await services.accounts.register('bob', PASSWORD)
    assert (first.handle, first.role) == ('alice', 'admin')
    assert second.role == 'user'


async def test_duplicate_handle_is_refused_case_insensitively(services: Services) -> None:
    await services.accounts.register('alice', PASSWORD)
    with pytest.raises(ConflictError, match='already taken'):
        await services.accounts.register('ALICE', PASSWORD)


@pytest.mark.parametrize('handle', ['ab', 'has space', 'ünï', 'x' * 33, '-leading'])
async def test_invalid_handles_are_refused(services: Services, handle: str) -> None:
    with pytest.raises(InvalidInputError):
        await services.accounts.register(handle, PASSWORD)


async def test_short_password_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInputError, match='at least 8'):
        await services.accounts.register('alice', 'short')


async def test_closed_registration_refuses_all_but_the_first_account(services: Services) -> None:
    admin = await services.accounts.register('admin', PASSWORD)
    await services.accounts.set_registration_open(admin, False)
    with pytest.raises(PermissionDeniedError, match='Registration is closed'):
        await services.accounts.register('carol', PASSWORD)
    assert (await services.accounts.register('carol', PASSWORD, by_admin=True)).role == 'user'


async def test_wrong_password_and_unknown_user_fail_the_same_way(services: Services) -> None:
    await services.accounts.register('alice', PASSWORD)
    with pytest.raises(AuthError) as known:
        await services.accounts.authenticate('alice', 'wrong password')
    with pytest.raises(AuthError) as unknown:
        await services.accounts.authenticate('nobody', 'wrong password')
    assert str(known.value) == str(unknown.value) == 'Wrong handle or password.'
    assert (await services.accounts.authenticate('alice', PASSWORD)).handle == 'alice'


async def test_failed_logins_lock_the_account_even_with_the_right_password(services: Services) -> None:
    await services.accounts.register('alice', PASSWORD)
    for _ in range(services.settings.login_attempts_per_account):
        with pytest.raises(AuthError):
            await services.accounts.authenticate('alice', 'wrong password', '10.0.0.1')
    with pytest.raises(RateLimitedError) as error:
        await services.accounts.authenticate('alice', PASSWORD, '10.0.0.2')
    assert 0 < error.value.retry_after <= services.settings.login_lockout_seconds


async def test_failed_logins_lock_the_address_across_handles(services: Services) -> None:
    for index in range(services.settings.login_attempts_per_address):
        with pytest.raises(AuthError):
            await services.accounts.authenticate(f'guess{index}', 'wrong password', '10.0.0.9')
    with pytest.raises(RateLimitedError):
        await services.accounts.authenticate('someone', 'whatever', '10.0.0.9')


async def test_disabled_user_cannot_log_in_and_loses_sessions(services: Services) -> None:
    admin = await services.accounts.register('admin', PASSWORD)
    bob = await services.accounts.register('bob', PASSWORD)
    token = await services.sessions.create_session(bob)
    assert (await services.sessions.user_for_token(token)).id == bob.id
    await services.accounts.set_disabled(admin, bob.id, True)
    assert await services.sessions.user_for_token(token) is None
    with pytest.raises(AuthError, match='disabled'):
        await services.accounts.authenticate('bob', PASSWORD)
    await services.accounts.set_disabled(admin, bob.id, False)
    assert (await services.accounts.authenticate('bob', PASSWORD)).id == bob.id


async def test_admin_cannot_demote_or_disable_self_and_last_admin_is_kept(services: Services) -> None:
    admin = await services.accounts.register('admin', PASSWORD)
    bob = await services.accounts.register('bob', PASSWORD)
    with pytest.raises(PermissionDeniedError):
        await services.accounts.set_role(admin, admin.id, 'user')
    with pytest.raises(PermissionDeniedError):
        await services.accounts.set_role(bob, bob.id, 'admin')
    promoted = await services.accounts.set_role(admin, bob.id, 'admin')
    assert promoted.is_admin
    await services.accounts.set_role(promoted, admin.id, 'user')
    with pytest.raises(TavernError, match='last active administrator'):
        await services.accounts.set_disabled(admin.model_copy(update={'role': 'admin'}), bob.id, True)


async def test_password_reset_ends_sessions_and_changes_login(services: Services) -> None:
    admin = await services.accounts.register('admin', PASSWORD)
    bob = await services.accounts.register('bob', PASSWORD)
    token = await services.sessions.create_session(bob)
    await services.accounts.admin_reset_password(admin, bob.id, 'a brand new password')
    assert await services.sessions.user_for_token(token) is None
    with pytest.raises(AuthError):
        await services.accounts.authenticate('bob', PASSWORD)
    assert (await services.accounts.authenticate('bob', 'a brand new password')).id == bob.id


async def test_api_tokens_resolve_until_revoked(services: Services) -> None:
    alice = await services.accounts.register('alice', PASSWORD)
    record, token = await services.sessions.create_api_token(alice, 'script')
    assert token.startswith('tvn_') and record.token_hash != token
    assert (await services.sessions.user_for_token(token)).id == alice.id
    await services.sessions.revoke_api_token(alice, record.id)
    assert await services.sessions.user_for_token(token) is None


async def test_login_ticket_is_single_use(services: Services) -> None:
    ticket = await services.sessions.issue_ticket('session-token')
    assert await services.sessions.redeem_ticket(ticket) == 'session-token'
    assert await services.sessions.redeem_ticket(ticket) is None


async def test_user_search_and_count_page_through_handles_and_names(services: Services) -> None:
    for index in range(5):
        await services.accounts.register(f'user{index}', PASSWORD, display_name=f'Name {index}')
    await services.accounts.register('carol', PASSWORD, display_name='小雨 100%')
    assert await services.accounts.count_users() == 6
    assert [u.handle for u in await services.accounts.list_users(query='USER', offset=1, limit=2)] == ['user1', 'user2']
    assert await services.accounts.count_users(query='user') == 5
    assert [u.handle for u in await services.accounts.list_users(query='小雨')] == ['carol']
    assert await services.accounts.count_users(query='%') == 1
