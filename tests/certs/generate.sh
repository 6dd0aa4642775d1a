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

ext() {
  # $1: subjectAltName value
  cat > "$tmp/ext.cnf" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
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
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
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
      -out "$name.crt" -days $days -sha256 -extfile "$tmp/ext.cnf" 2>/dev/null
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

rm -f ca.srl "$tmp"/*.srl
chmod 0644 ./*.crt ./*.pem ./*.key
touch "$stamp"
