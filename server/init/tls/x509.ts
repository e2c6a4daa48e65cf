import { randomBytes, sign, type KeyObject, type X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

const { asn1, pki } = forge;
type Asn1 = forge.asn1.Asn1;

/** What a certificate says about its holder or issuer. */
export interface DistinguishedName {
  commonName: string;
  organization?: string;
}

/** One certificate to make: who it is for, who signs it, for how long, and what it may do. */
export interface CertificateRequest {
  subject: DistinguishedName;
  publicKey: KeyObject;
  /**
   * Who signs it: `privateKey` alone signs a self-signed certificate (a new
   * CA); with `certificate`, the CA that key belongs to, whose subject name
   * and key identifier the new certificate repeats as its issuer.
   */
  issuer: { privateKey: KeyObject; certificate?: X509Certificate };
  notBefore: Date;
  notAfter: Date;
  /** A CA may sign certificates (and nothing else); otherwise a TLS server certificate. */
  ca: boolean;
  /** Host names and IP addresses a server certificate is valid for. */
  hosts?: string[];
}

const OID = { subjectKeyId: '2.5.29.14', sha256WithRsa: '1.2.840.113549.1.1.11', ecdsaWithSha256: '1.2.840.10045.4.3.2' };

// node-forge has this function, but its type declarations leave it out.
const { getTBSCertificate } = pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): Asn1 };

const binary = (b: Buffer) => b.toString('binary');
const items = (node: Asn1) => node.value as Asn1[];

// forge's own certificate parser reads RSA certificates only; an admin's CA
// may hold an EC key, so its fields are read from forge's generic ASN.1 tree.
function tbsFields(cert: X509Certificate): Asn1[] {
  return items(items(asn1.fromDer(binary(cert.raw)))[0]!);
}

/** The subject name of a certificate, as parsed: what a certificate the CA issues must carry as its issuer name to chain to it. */
function subjectNode(cert: X509Certificate): Asn1 {
  const fields = tbsFields(cert);
  const offset = fields[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0; // the version field is optional (v1)
  return fields[offset + 4]!; // serial, signature algorithm, issuer, validity, subject
}

/** The subject name of a certificate, attribute by attribute with each value's string type, for forge's setIssuer. */
function subjectOf(cert: X509Certificate): forge.pki.CertificateField[] {
  return items(subjectNode(cert)).flatMap((rdn) =>
    items(rdn).map((attribute) => {
      const [type, value] = items(attribute);
      const raw = value!.value as string;
      // forge encodes UTF8String values itself when it writes them, so they go in decoded.
      return {
        type: asn1.derToOid(type!.value as string),
        value: value!.type === asn1.Type.UTF8 ? forge.util.decodeUtf8(raw) : raw,
        valueTagClass: value!.type as unknown as forge.asn1.Class,
      };
    }),
  );
}

/** The subject key identifier a certificate declares (as forge's binary string), if any. */
function subjectKeyIdOf(cert: X509Certificate): string | undefined {
  const extensions = tbsFields(cert).find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
  if (!extensions) return undefined;
  for (const extension of items(items(extensions)[0]!)) {
    const parts = items(extension);
    if (asn1.derToOid(parts[0]!.value as string) !== OID.subjectKeyId) continue;
    // The last part is the OCTET STRING holding the encoded KeyIdentifier.
    return asn1.fromDer(parts.at(-1)!.value as string).value as string;
  }
  return undefined;
}

/** A random serial of 16 bytes, positive and without a leading zero byte (RFC 5280: at most 20 octets). */
function serialNumber(): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial.toString('hex');
}

const name = (n: DistinguishedName): forge.pki.CertificateField[] =>
  [...(n.organization ? [{ name: 'organizationName', value: n.organization }] : []), { name: 'commonName', value: n.commonName }].map((a) => ({
    ...a,
    valueTagClass: asn1.Type.UTF8 as unknown as forge.asn1.Class,
  }));

function extensions(r: CertificateRequest): object[] {
  const issuerKeyId = r.issuer.certificate ? subjectKeyIdOf(r.issuer.certificate) : true; // true: its own (self-signed)
  const list: object[] = [
    // pathLen 0: the local CA signs server certificates, never another CA.
    { name: 'basicConstraints', critical: true, cA: r.ca, ...(r.ca ? { pathLenConstraint: 0 } : {}) },
    r.ca
      ? { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true }
      : { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true }, // keyEncipherment: RSA key exchange
    { name: 'subjectKeyIdentifier' }, // SHA-1 over the public key (RFC 5280, 4.2.1.2)
  ];
  // Verifiers compare it with the issuer's own identifier, so it is copied, never recomputed.
  if (issuerKeyId) list.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerKeyId });
  if (!r.ca) {
    list.push({ name: 'extKeyUsage', serverAuth: true });
    if (r.hosts?.length) list.push({ name: 'subjectAltName', altNames: r.hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) });
  }
  return list;
}

// node-forge signs with RSA keys only, and writes each name attribute in a
// set of its own. A CA the admin brought with an EC key, or with a
// multi-valued RDN in its name, signs through node:crypto instead: forge still
// builds and encodes the certificate, and the issuer name is the CA's subject
// as it is encoded there.
function signWithNodeCrypto(cert: forge.pki.Certificate, key: KeyObject, issuer: X509Certificate | undefined): string {
  const ec = key.asymmetricKeyType === 'ec';
  if (!ec && key.asymmetricKeyType !== 'rsa') throw new Error(`cannot sign certificates with a ${key.asymmetricKeyType} key`);
  const oid = ec ? OID.ecdsaWithSha256 : OID.sha256WithRsa;
  cert.signatureOid = cert.siginfo.algorithmOid = oid;
  const tbs = getTBSCertificate(cert);
  // forge gives every algorithm NULL parameters; ECDSA's must be absent (RFC 5758).
  const algorithm = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
    ...(ec ? [] : [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]),
  ]);
  items(tbs)[2] = algorithm; // signature, then issuer
  if (issuer) items(tbs)[3] = subjectNode(issuer);
  const signature = sign('sha256', Buffer.from(asn1.toDer(tbs).getBytes(), 'binary'), key);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    algorithm,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${binary(signature)}`),
  ]);
  return forge.pem.encode({ type: 'CERTIFICATE', body: asn1.toDer(certificate).getBytes() });
}

/** Builds and signs an X.509 v3 certificate with node-forge; returns it as PEM. */
export function createCertificate(r: CertificateRequest): string {
  const cert = pki.createCertificate();
  cert.version = 2; // v3
  cert.serialNumber = serialNumber();
  cert.publicKey = pki.publicKeyFromPem(r.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.validity.notBefore = r.notBefore;
  cert.validity.notAfter = r.notAfter;
  const subject = name(r.subject);
  cert.setSubject(subject);
  cert.setIssuer(r.issuer.certificate ? subjectOf(r.issuer.certificate) : subject);
  cert.setExtensions(extensions(r));

  const key = r.issuer.privateKey;
  const ca = r.issuer.certificate;
  const multiValued = ca !== undefined && items(subjectNode(ca)).some((rdn) => items(rdn).length > 1);
  let pem: string;
  if (key.asymmetricKeyType === 'rsa' && !multiValued) {
    cert.sign(pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }) as string), forge.md.sha256.create());
    pem = pki.certificateToPem(cert);
  } else {
    pem = signWithNodeCrypto(cert, key, ca);
  }
  return pem.replace(/\r\n/g, '\n'); // forge ends PEM lines with CRLF
}
