#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Generates the test certificates into $1, then touches the stamp $2.
#
#   ca.crt                  the test CA that tests trust through an account's CA file
#   server.*                signed by the CA for localhost, 127.0.0.1 and ::1
#   server2.*               another certificate for the same names (a "changed" certificate)
#   expired.*               signed by the CA, expired
#   not-yet-valid.*         signed by the CA, valid only from 2099
#   wrong-host.*            signed by the CA for other.example.com only
#   self-signed.*           self-signed for localhost and 127.0.0.1
#   unknown-ca.*            signed by a CA nobody trusts
#   cn-only.*               signed by the CA, CN=localhost and no subjectAltName at all
#   rsa1024.*               signed by the CA for the local names, a 1024-bit RSA key
#   sha1.*                  signed by the CA for the local names with SHA-1
#   ec192.*                 signed by the CA for the local names, an EC P-192 key (only
#                           when openssl still makes one)
#   self-signed-rsa1024.*   self-signed for the local names, a 1024-bit RSA key
#   self-signed-sha1.*      self-signed for the local names with SHA-1 (a P-256 key)
#   forged-self-issued.*    subject and issuer both "Popbell Test CA", but signed by the CA
#                           with SHA-1: it looks self-signed and is not
#   weak-intermediate.*     signed by an intermediate CA that the CA signed with SHA-1;
#                           .crt holds the leaf and that intermediate
#   sha1-root-leaf.*        signed by a CA whose own self-signature is SHA-1;
#                           .crt holds the leaf and that root (a trust anchor)
#
# Each NAME has NAME.crt (certificate chain), NAME.key (private key) and
# NAME.pem (both, as GTlsCertificate and Dovecot read them).
set -eu
out=$1
mkdir -p "$out" "$(dirname "$2")"
stamp=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export OPENSSL_CONF=/dev/null
days=3650

# Key and digest of the next leaf; make_leaf callers may set them.
ec_key="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
key=$ec_key
md=sha256

ext() {
  # $1: subjectAltName value, empty for none
  cat > "$tmp/ext.cnf" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
  if [ -n "$1" ]; then
    echo "subjectAltName = $1" >> "$tmp/ext.cnf"
  fi
}

make_ca() {
  # $1: file prefix, $2: common name
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.crt" -days $days -subj "/O=Popbell Tests/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# $1: name, $2: CA prefix, $3: SAN, $4: CN, then optional not-before and not-after (YYYYMMDDHHMMSSZ)
make_leaf() {
  name=$1 ca=$2 san=$3 cn=$4
  # shellcheck disable=SC2086 # $key is several words
  openssl req -new $key -nodes \
    -keyout "$name.key" -out "$tmp/$name.csr" -subj "/O=Popbell Tests/CN=$cn" 2>/dev/null
  ext "$san"
  if [ $# -ge 6 ]; then
    # 'openssl ca' is the one stock tool that takes explicit validity dates.
    mkdir -p "$tmp/db"
    : > "$tmp/db/index.txt"
    printf '%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" > "$tmp/db/serial"
    cat > "$tmp/ca.cnf" <<CNF
[ ca ]
default_ca = testca
[ testca ]
database = $tmp/db/index.txt
serial = $tmp/db/serial
new_certs_dir = $tmp/db
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
organizationName = optional
commonName = supplied
CNF
    openssl ca -batch -config "$tmp/ca.cnf" -cert "$ca.crt" -keyfile "$ca.key" \
      -in "$tmp/$name.csr" -out "$tmp/$name.pem" -startdate "$5" -enddate "$6" \
      -extfile "$tmp/ext.cnf" -notext 2>/dev/null
    openssl x509 -in "$tmp/$name.pem" -out "$name.crt"
  else
    openssl x509 -req -in "$tmp/$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial \
      -out "$name.crt" -days $days "-$md" -extfile "$tmp/ext.cnf" 2>/dev/null
  fi
  cat "$name.crt" "$name.key" > "$name.pem"
}

local_san="DNS:localhost,IP:127.0.0.1,IP:::1"

make_ca ca "Popbell Test CA"
make_ca "$tmp/other-ca" "Unknown Test CA"

make_leaf server ca "$local_san" localhost
make_leaf server2 ca "$local_san" localhost
make_leaf expired ca "$local_san" localhost 20200101000000Z 20210101000000Z
make_leaf not-yet-valid ca "$local_san" localhost 20990101000000Z 20991231000000Z
make_leaf wrong-host ca "DNS:other.example.com" other.example.com
make_leaf unknown-ca "$tmp/other-ca" "$local_san" localhost

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout self-signed.key -out self-signed.crt -days $days \
  -subj "/O=Popbell Tests/CN=localhost" \
  -addext "subjectAltName=$local_san" 2>/dev/null
cat self-signed.crt self-signed.key > self-signed.pem

# Certificates that no pin may make acceptable, and one CN-only name.
make_leaf cn-only ca "" localhost
# (Set and reset by hand: whether an assignment before a function call lasts varies by shell.)
key="-newkey rsa:1024"
make_leaf rsa1024 ca "$local_san" localhost
key=$ec_key
md=sha1
make_leaf sha1 ca "$local_san" localhost
md=sha256
if openssl ecparam -name prime192v1 -genkey -noout -out "$tmp/p192.key" 2>/dev/null; then
  key="-newkey ec -pkeyopt ec_paramgen_curve:prime192v1"
  make_leaf ec192 ca "$local_san" localhost
  key=$ec_key
fi

self_signed() {
  # $1: name, then openssl req options for the key and digest
  name=$1
  shift
  openssl req -x509 -new "$@" -nodes -keyout "$name.key" -out "$name.crt" -days $days \
    -subj "/O=Popbell Tests/CN=localhost" -addext "subjectAltName=$local_san" 2>/dev/null
  cat "$name.crt" "$name.key" > "$name.pem"
}
self_signed self-signed-rsa1024 -newkey rsa:1024 -sha256
# shellcheck disable=SC2086
self_signed self-signed-sha1 $ec_key -sha1

# Same subject and issuer as a self-signed CA, but the CA's SHA-1 signature.
# shellcheck disable=SC2086
openssl req -new $ec_key -nodes -keyout forged-self-issued.key -out "$tmp/forged.csr" \
  -subj "/O=Popbell Tests/CN=Popbell Test CA" 2>/dev/null
ext "$local_san"
openssl x509 -req -in "$tmp/forged.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
  -out forged-self-issued.crt -days $days -sha1 -extfile "$tmp/ext.cnf" 2>/dev/null
cat forged-self-issued.crt forged-self-issued.key > forged-self-issued.pem

# An intermediate CA signed by the CA with SHA-1, and a sound leaf under it.
cat > "$tmp/ca-ext.cnf" <<EXT
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
# shellcheck disable=SC2086
openssl req -new $ec_key -nodes -keyout "$tmp/inter.key" -out "$tmp/inter.csr" \
  -subj "/O=Popbell Tests/CN=Popbell SHA-1 Intermediate" 2>/dev/null
openssl x509 -req -in "$tmp/inter.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
  -out "$tmp/inter.crt" -days $days -sha1 -extfile "$tmp/ca-ext.cnf" 2>/dev/null
make_leaf weak-intermediate "$tmp/inter" "$local_san" localhost
cat weak-intermediate.crt "$tmp/inter.crt" > "$tmp/chain.crt"
mv "$tmp/chain.crt" weak-intermediate.crt
cat weak-intermediate.crt weak-intermediate.key > weak-intermediate.pem

# A root whose self-signature is SHA-1, sent along with a sound leaf.
# shellcheck disable=SC2086
openssl req -x509 -new $ec_key -sha1 -nodes -keyout "$tmp/sha1-root.key" \
  -out "$tmp/sha1-root.crt" -days $days -subj "/O=Popbell Tests/CN=Popbell SHA-1 Root" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
make_leaf sha1-root-leaf "$tmp/sha1-root" "$local_san" localhost
cat sha1-root-leaf.crt "$tmp/sha1-root.crt" > "$tmp/chain.crt"
mv "$tmp/chain.crt" sha1-root-leaf.crt
cat sha1-root-leaf.crt sha1-root-leaf.key > sha1-root-leaf.pem

rm -f ca.srl "$tmp"/*.srl
chmod 0644 ./*.crt ./*.pem ./*.key
touch "$stamp"
