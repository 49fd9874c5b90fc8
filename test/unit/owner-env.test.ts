// The environment root builds for the owner of a service it runs (SPEC 12.4).
import { describe, expect, it } from 'vitest';
import { OWNER_PATH, ownerEnvironment } from '../../src/core/owner-env.js';

const alice = { name: 'alice', home: '/home/alice', shell: '/bin/zsh' };

describe('ownerEnvironment', () => {
  it('the owner\'s HOME, USER, LOGNAME, SHELL, the given PATH, root\'s LANG, TZ and RERAISE_*, nothing else', () => {
    const root = {
      HOME: '/root', USER: 'root', LOGNAME: 'root', SHELL: '/bin/bash', PATH: '/root/bin:/usr/bin', LANG: 'C.UTF-8', TZ: 'Europe/Berlin',
      SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1', SECRET_TOKEN: 'hunter2', AWS_SECRET_ACCESS_KEY: 'x', LD_PRELOAD: '/tmp/evil.so', SUDO_USER: 'me',
      RERAISE_DIR: '/srv/reraise.d', RERAISE_SERVICE: 'web', RERAISE_FOO: 'bar', LC_ALL: 'C', UNSET: undefined,
    };
    expect(ownerEnvironment(alice, root, `${OWNER_PATH}:/opt/reraise/bin`)).toEqual({
      HOME: '/home/alice', USER: 'alice', LOGNAME: 'alice', SHELL: '/bin/zsh', PATH: '/usr/local/bin:/usr/bin:/bin:/opt/reraise/bin',
      LANG: 'C.UTF-8', TZ: 'Europe/Berlin', RERAISE_DIR: '/srv/reraise.d', RERAISE_SERVICE: 'web', RERAISE_FOO: 'bar',
    });
  });

  it('root without LANG or TZ gives none', () => {
    expect(Object.keys(ownerEnvironment(alice, { PATH: '/x' }, OWNER_PATH)).sort()).toEqual(['HOME', 'LOGNAME', 'PATH', 'SHELL', 'USER']);
  });
});
