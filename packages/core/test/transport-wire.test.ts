import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncError } from '../src/errors.js';
import { credentialsFromEnvironment } from '../src/git/credentials.js';
import { bypassesProxy, configUrlMatches, resolveNetworkSettings } from '../src/git/network-settings.js';
import { FLUSH, MalformedWireError, parsePktLines, pktLine } from '../src/git/pkt-line.js';
import { parsePackResponse, parseReportStatus } from '../src/git/smart-http.js';

const URL_ = 'https://git.example.com/team/plans.git';
const band = (channel: number, data: string | Buffer) => pktLine(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));

describe('pkt-lines are read strictly (protocol v0)', () => {
  it('reads lines and flushes', () => {
    expect(parsePktLines(Buffer.concat([pktLine('a\n'), FLUSH, pktLine('b')])).map((l) => l?.toString() ?? null)).toEqual(['a\n', null, 'b']);
  });

  it.each([
    ['00x6abcd', 'malformed'],
    ['0001', 'length 1'],
    ['0002', 'length 2'],
    ['0003', 'length 3'],
    ['000aabc', 'truncated'],
    ['00', 'truncated'],
  ])('refuses %s instead of reading it as a flush or a short line', (bytes, message) => {
    expect(() => parsePktLines(Buffer.from(bytes, 'latin1'))).toThrow(MalformedWireError);
    expect(() => parsePktLines(Buffer.from(bytes, 'latin1'))).toThrow(message);
  });
});

describe("upload-pack's answer", () => {
  const pack = Buffer.from('PACK\0\0\0\x02\0\0\0\0fake', 'latin1');

  it('gathers band 1 after NAK, ignores progress on band 2', () => {
    const answer = Buffer.concat([pktLine('NAK\n'), band(2, 'Counting objects\r'), band(1, pack.subarray(0, 6)), band(1, pack.subarray(6)), FLUSH]);
    expect(parsePackResponse(answer, true, URL_)).toEqual(pack);
  });

  it('turns an ERR line into an error carrying the server text, with credentials stripped', () => {
    const answer = Buffer.concat([pktLine('ERR upload-pack: not our ref 1234 (see https://me:hunter2@host/x)\n')]);
    let caught: unknown;
    try {
      parsePackResponse(answer, true, URL_);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SyncError);
    expect(String((caught as Error).message)).toContain('not our ref 1234');
    expect(String((caught as Error).message)).not.toContain('hunter2');
  });

  it('refuses data after the final flush (junk after the pack)', () => {
    const answer = Buffer.concat([pktLine('NAK\n'), band(1, pack), FLUSH, Buffer.from('0009junk\n')]);
    expect(() => parsePackResponse(answer, true, URL_)).toThrow('after the end of the pack');
  });

  it('refuses an answer cut before its closing flush', () => {
    const answer = Buffer.concat([pktLine('NAK\n'), band(1, pack)]);
    expect(() => parsePackResponse(answer, true, URL_)).toThrow('truncated');
  });

  it('refuses a truncated side-band line and 00x6-style lengths', () => {
    const whole = Buffer.concat([pktLine('NAK\n'), band(1, pack), FLUSH]);
    expect(() => parsePackResponse(whole.subarray(0, whole.length - 9), true, URL_)).toThrow(MalformedWireError);
    expect(() => parsePackResponse(Buffer.concat([pktLine('NAK\n'), Buffer.from('00x6'), band(1, pack), FLUSH]), true, URL_)).toThrow(MalformedWireError);
  });

  it('stops with the server text of a fatal band-3 message', () => {
    expect(() => parsePackResponse(Buffer.concat([pktLine('NAK\n'), band(3, 'the repository is being migrated')]), true, URL_)).toThrow(
      'the repository is being migrated',
    );
  });
});

describe("receive-pack's report", () => {
  const ref = 'refs/heads/main';

  it('keeps what a refusing hook wrote on band 2, control sequences and credentials removed', () => {
    const report = Buffer.concat([pktLine('unpack ok\n'), pktLine(`ng ${ref} pre-receive hook declined\n`), FLUSH]);
    const answer = Buffer.concat([
      band(2, 'GH006: Protected branch update failed for refs/heads/main.\n'),
      band(2, '\x1b[31mSee https://bot:s3cret@git.example.com/rules\x1b[0m\n'),
      band(1, report),
      FLUSH,
    ]);
    const result = parseReportStatus(answer, true, ref, URL_);
    expect(result.refusal).toBe('pre-receive hook declined');
    expect(result.remoteMessages).toEqual(['GH006: Protected branch update failed for refs/heads/main.', 'See https://git.example.com/rules']);
  });

  it('reports success with nothing refused', () => {
    const answer = Buffer.concat([band(1, Buffer.concat([pktLine('unpack ok\n'), pktLine(`ok ${ref}\n`), FLUSH])), FLUSH]);
    expect(parseReportStatus(answer, true, ref, URL_)).toEqual({ refusal: null, remoteMessages: [] });
  });
});

describe('user names in URLs', () => {
  it('go with the token when no PLANALIGN_SYNC_USERNAME is set', () => {
    expect(credentialsFromEnvironment('https://org@dev.azure.com/org/p/_git/r', { PLANALIGN_SYNC_TOKEN: 't' })).toMatchObject({
      username: 'org',
      password: 't',
    });
    expect(credentialsFromEnvironment('https://org@dev.azure.com/org/p/_git/r', { PLANALIGN_SYNC_TOKEN: 't', PLANALIGN_SYNC_USERNAME: 'me' })).toMatchObject({
      username: 'me',
    });
    // A Bitbucket repository access token goes with the user name Bitbucket names for it.
    expect(credentialsFromEnvironment('https://bitbucket.org/team/plans.git', { PLANALIGN_SYNC_TOKEN: 't' })).toMatchObject({ username: 'x-token-auth' });
    expect(credentialsFromEnvironment('https://me@bitbucket.org/team/plans.git', { PLANALIGN_SYNC_TOKEN: 't' })).toMatchObject({ username: 'me' });
  });
});

describe('proxy and git settings matching', () => {
  it('NO_PROXY matches hosts, suffixes, ports and *', () => {
    const u = new URL('https://git.corp.example:8443/x');
    expect(bypassesProxy(u, 'corp.example')).toBe(true);
    expect(bypassesProxy(u, '.corp.example')).toBe(true);
    expect(bypassesProxy(u, 'other.example, git.corp.example:8443')).toBe(true);
    expect(bypassesProxy(u, 'git.corp.example:443')).toBe(false);
    expect(bypassesProxy(u, 'example.org')).toBe(false);
    expect(bypassesProxy(u, '*')).toBe(true);
    expect(bypassesProxy(new URL('http://127.0.0.1:9/x'), 'localhost,127.0.0.1')).toBe(true);
    // addresses as curl matches them: whole or by a CIDR range, never by a suffix
    expect(bypassesProxy(new URL('http://127.0.0.1:9/x'), '127.0.0.0/8')).toBe(true);
    expect(bypassesProxy(new URL('http://127.0.0.1:9/x'), '10.0.0.0/8, 192.168.0.0/16')).toBe(false);
    expect(bypassesProxy(new URL('http://127.0.0.1:9/x'), '.0.0.1')).toBe(false);
    expect(bypassesProxy(new URL('http://127.0.0.1:9/x'), '127.0.0.0/x')).toBe(false);
    expect(bypassesProxy(new URL('http://127.0.0.1:9/x'), '0.0.0.0/0')).toBe(false);
    expect(bypassesProxy(new URL('http://[::1]:9/x'), '::1/128')).toBe(true);
    expect(bypassesProxy(new URL('http://[::1]:9/x'), '[0:0::1]')).toBe(true);
  });

  it('http.<url>.* applies by scheme, host and path prefix', () => {
    expect(configUrlMatches('https://git.example.com', URL_)).toBe(true);
    expect(configUrlMatches('https://git.example.com/team', URL_)).toBe(true);
    expect(configUrlMatches('https://git.example.com/tea', URL_)).toBe(false);
    expect(configUrlMatches('http://git.example.com', URL_)).toBe(false);
    expect(configUrlMatches('https://*.example.com', URL_)).toBe(true);
  });

  it('reads proxy, CA file and every extraHeader from git config, and the variables', async () => {
    const home = await fsp.mkdtemp(path.join(os.tmpdir(), 'planalign-netsettings-'));
    const ca = path.join(home, 'ca.pem');
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    await fsp.writeFile(ca, pem);
    const git = (...args: string[]) => spawnSync('git', ['config', '--global', ...args], { env: { ...process.env, HOME: home } });
    git('--add', 'http.extraHeader', 'X-One: 1');
    git('--add', 'http.https://git.example.com/team.extraHeader', 'X-Two: 2');
    git('--add', 'http.https://elsewhere.example.extraHeader', 'X-Three: 3');
    git('http.https://git.example.com.proxy', 'proxy.corp:3128');
    git('http.sslCAInfo', ca);
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const settings = await resolveNetworkSettings(URL_, { env: { NO_PROXY: 'other.example' } });
      expect(settings.extraHeaders).toEqual([
        ['X-One', '1'],
        ['X-Two', '2'],
      ]);
      expect(settings.proxy).toBe('http://proxy.corp:3128/');
      expect(settings.extraCertificates[0]).toBe(pem);
      expect(settings.verifyCertificates).toBe(true);
      expect((await resolveNetworkSettings(URL_, { env: { NO_PROXY: '.example.com' } })).proxy).toBeNull();
      expect((await resolveNetworkSettings('https://elsewhere.example/r.git', { env: { https_proxy: 'http://lower:1' } })).proxy).toBe('http://lower:1/');
      expect((await resolveNetworkSettings('http://elsewhere.example/r.git', { env: { HTTP_PROXY: 'http://upper:2' } })).proxy).toBe('http://upper:2/');
      await expect(resolveNetworkSettings('https://elsewhere.example/r.git', { env: { GIT_SSL_CAINFO: path.join(home, 'missing.pem') } })).rejects.toThrow(
        'GIT_SSL_CAINFO',
      );
      await expect(resolveNetworkSettings('https://elsewhere.example/r.git', { env: { HTTPS_PROXY: 'socks5://p:1080' } })).rejects.toThrow('socks5');
    } finally {
      process.env.HOME = saved;
    }
  });
});
