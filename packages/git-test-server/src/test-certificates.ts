import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/**
 * A private certificate authority and a server certificate it signed, for 127.0.0.1 and
 * localhost, made with openssl the way a company makes its own: no public root trusts them.
 */
export interface TestCertificates {
  /** the authority's certificate (PEM): what a client must be told to trust */
  caFile: string;
  /** the server's certificate and key (PEM), for nginx */
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

export async function makeTestCertificates(folder: string): Promise<TestCertificates> {
  await fsp.mkdir(folder, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=PlanAlign Sync Test Root CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    folder,
  );
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], folder);
  await fsp.writeFile(
    path.join(folder, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'],
    folder,
  );
  return { caFile: path.join(folder, 'ca.pem'), certFile: path.join(folder, 'server.pem'), keyFile: path.join(folder, 'server.key') };
}
