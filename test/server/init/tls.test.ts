import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../server/kernel/errors.ts';
import { ensureTls } from '../../../server/init/tls/ensure.ts';
import { certificateHosts } from '../../../server/init/tls/hosts.ts';
import { folderMaker, tempDir } from '../../helpers/env.ts';

const tmp = tempDir('onsite-tls-');
afterAll(tmp.cleanup);
const bundle = folderMaker(tmp.dir);
const cert = (dir: string, name: string) => new X509Certificate(readFileSync(join(dir, 'tls', `${name}.crt`)));
// OpenSSL, where installed, is a second, independent judge of the DER init writes.
const openssl = spawnSync('openssl', ['version']).status === 0;
const hosts = certificateHosts([
  { host: 'AI.corp.example', source: 'test' },
  { host: '10.20.30.40', source: 'test' },
]);

describe('TLS material', () => {
  let dir: string;
  beforeAll(async () => {
    dir = bundle();
    const r = await ensureTls(dir, { hosts, owner: { uid: process.getuid!(), gid: process.getgid!() }, keyGroup: process.getgid!() });
    expect(r.created.sort()).toEqual(['tls/ca.crt', 'tls/ca.key', 'tls/server.crt', 'tls/server.key']);
  });

  it('a local CA: CA:true, path length 0, certificate signing, ten years', () => {
    const ca = cert(dir, 'ca');
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.subject).toMatch(/^O=Onsite\nCN=Onsite local CA [0-9a-f]{8}$/);
    const years = (Date.parse(ca.validTo) - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
  });

  it('a server certificate that chains to the CA, for serverAuth, 825 days, with the SANs', () => {
    const ca = cert(dir, 'ca');
    const server = cert(dir, 'server');
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(server.subjectAltName).toBe(
      'DNS:ai.corp.example, IP Address:10.20.30.40, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:server',
    );
    for (const h of ['ai.corp.example', 'localhost', 'server']) expect(server.checkHost(h)).toBe(h);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('elsewhere.example')).toBeUndefined();
    const days = (Date.parse(server.validTo) - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(825);
  });

  it('the CA key is 0600; the server key 0640 for the server’s group (or 0600 without one); certificates 0644', async () => {
    for (const [f, m] of [
      ['ca.key', 0o600],
      ['server.key', 0o640],
      ['ca.crt', 0o644],
      ['server.crt', 0o644],
    ] as const) {
      expect(statSync(join(dir, 'tls', f)).mode & 0o777, f).toBe(m);
    }
    expect(statSync(join(dir, 'tls/server.key')).gid).toBe(process.getgid!());
    const closed = bundle();
    await ensureTls(closed, { hosts });
    expect(statSync(join(closed, 'tls/server.key')).mode & 0o777).toBe(0o600);
    // A kept key the server cannot read is reported with the fix.
    const r = await ensureTls(closed, { hosts, keyGroup: 4242 });
    expect(r.warnings).toEqual(['the server (group 4242) cannot read tls/server.key: chgrp 4242 tls/server.key && chmod 640 tls/server.key']);
  });

  it('a TLS client that trusts only the CA completes a handshake with a server using the key pair (loopback)', async () => {
    const server = createServer({ cert: readFileSync(join(dir, 'tls/server.crt')), key: readFileSync(join(dir, 'tls/server.key')) }, (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const servername of ['localhost', 'ai.corp.example']) {
        const authorized = await new Promise<boolean>((resolve, reject) => {
          const socket = connect({ host: '127.0.0.1', port, servername, ca: readFileSync(join(dir, 'tls/ca.crt')) }, () => {
            resolve(socket.authorized);
            socket.end();
          });
          socket.on('error', reject);
        });
        expect(authorized, servername).toBe(true);
      }
    } finally {
      server.close();
    }
  });

  it('a rerun keeps every file byte for byte and reports names the kept certificate lacks', async () => {
    const before = ['ca.crt', 'ca.key', 'server.crt', 'server.key'].map((f) => readFileSync(join(dir, 'tls', f)));
    const r = await ensureTls(dir, { hosts: certificateHosts([{ host: 'new.corp.example', source: 'test' }]) });
    expect(r.created).toEqual([]);
    expect(r.kept.length).toBe(4);
    expect(r.uncovered).toEqual(['new.corp.example']);
    ['ca.crt', 'ca.key', 'server.crt', 'server.key'].forEach((f, i) => expect(readFileSync(join(dir, 'tls', f)).equals(before[i]!)).toBe(true));
  });

  it('with the server files deleted, a rerun issues a new server certificate from the kept CA', async () => {
    const again = bundle();
    await ensureTls(again, { hosts });
    const caBefore = readFileSync(join(again, 'tls/ca.crt'));
    rmSync(join(again, 'tls/server.crt'));
    rmSync(join(again, 'tls/server.key'));
    const r = await ensureTls(again, { hosts: certificateHosts([{ host: 'new.corp.example', source: 'test' }]) });
    expect(r.created.sort()).toEqual(['tls/server.crt', 'tls/server.key']);
    expect(readFileSync(join(again, 'tls/ca.crt')).equals(caBefore)).toBe(true);
    const server = cert(again, 'server');
    expect(server.checkIssued(cert(again, 'ca'))).toBe(true);
    expect(server.verify(cert(again, 'ca').publicKey)).toBe(true);
    expect(server.checkHost('new.corp.example')).toBe('new.corp.example');
  });

  it('refuses half a pair, a key of another certificate, and a host that is no host', async () => {
    const half = bundle();
    await ensureTls(half, { hosts });
    rmSync(join(half, 'tls/server.key'));
    await expect(ensureTls(half, { hosts })).rejects.toThrow(/tls\/server\.crt exists without tls\/server\.key/);
    writeFileSync(join(half, 'tls/server.key'), readFileSync(join(half, 'tls/ca.key')));
    await expect(ensureTls(half, { hosts })).rejects.toSatisfy(
      (e) => isAppError(e, 'tls_invalid') && /the key does not belong to the certificate/.test((e as Error).message),
    );
    expect(() => certificateHosts([{ host: 'bad host', source: '--host' }])).toThrow(/--host: "bad host" is not a host name or IP address/);
    expect(
      certificateHosts([
        { host: '[fe80::1]', source: 'x' },
        { host: '', source: 'x' },
        { host: 'LOCALHOST', source: 'x' },
      ]),
    ).toEqual(['fe80::1', 'localhost', '127.0.0.1', '::1', 'server']);
  });

  it.skipIf(!openssl)('OpenSSL verifies the chain strictly, and a server certificate issued from an OpenSSL-made CA chains too', async () => {
    const own = bundle();
    await ensureTls(own, { hosts });
    const verify = (d: string) =>
      execFileSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(d, 'tls/ca.crt'), join(d, 'tls/server.crt')], {
        encoding: 'utf8',
      });
    expect(verify(own)).toMatch(/: OK/);

    const foreign = bundle();
    mkdirSync(join(foreign, 'tls'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '30',
        '-subj',
        '/C=DE/O=Example Corp/OU=IT/CN=Corp Root',
        '-addext',
        'basicConstraints=critical,CA:true',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-keyout',
        join(foreign, 'tls/ca.key'),
        '-out',
        join(foreign, 'tls/ca.crt'),
      ],
      { stdio: 'ignore' },
    );
    const r = await ensureTls(foreign, { hosts });
    expect(r.created.sort()).toEqual(['tls/server.crt', 'tls/server.key']);
    expect(verify(foreign)).toMatch(/: OK/);
    expect(cert(foreign, 'server').issuer).toBe('C=DE\nO=Example Corp\nOU=IT\nCN=Corp Root');
    // It never outlives its CA.
    expect(Date.parse(cert(foreign, 'server').validTo)).toBeLessThanOrEqual(Date.parse(cert(foreign, 'ca').validTo));

    // An RSA CA with a UTF-8 name and a multi-valued RDN (which node-forge cannot write back attribute by attribute).
    const multi = bundle();
    mkdirSync(join(multi, 'tls'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '30',
        '-utf8',
        '-multivalue-rdn',
        '-subj',
        '/C=DE/O=Müller GmbH/OU=IT+L=Köln/CN=Corp Root',
        '-addext',
        'basicConstraints=critical,CA:true',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-keyout',
        join(multi, 'tls/ca.key'),
        '-out',
        join(multi, 'tls/ca.crt'),
      ],
      { stdio: 'ignore' },
    );
    await ensureTls(multi, { hosts });
    expect(verify(multi)).toMatch(/: OK/);
    expect(cert(multi, 'server').issuer).toBe(cert(multi, 'ca').subject);
  });
});
