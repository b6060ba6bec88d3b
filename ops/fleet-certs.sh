#!/bin/bash
# ops/fleet-certs.sh: the fleet's own certificate authority and one certificate per node, with
# openssl, as PEM files for Fleet:Tls:CertificateFile, Fleet:Tls:KeyFile and Fleet:Tls:CaFile.
#
#   ops/fleet-certs.sh ca DIR                       create DIR/ca.crt and DIR/ca.key (once per fleet)
#   ops/fleet-certs.sh node DIR NAME [ADDRESS...]   create DIR/NAME.crt and DIR/NAME.key, signed by
#                                                   DIR/ca.key; ADDRESS: IPs or DNS names the node is
#                                                   reached at (recorded in the certificate's SAN)
#
# Whoever holds ca.key can make a node that every host obeys, and so can upgrade every host:
# keep it off the fleet (an offline machine, a USB key), never on a Pi. Each node gets ca.crt,
# its own NAME.crt and NAME.key (0600, owned by the daemon's user), nothing else.
# A node certificate is valid for 825 days, the CA for 10 years; renew a node by running `node`
# again and restarting its daemon. There is no revocation: to expel a node, make a new CA and
# new certificates for the others.
set -euo pipefail
umask 077

die() {
    echo "fleet-certs: $*" >&2
    exit 2
}

usage() {
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"
(($# >= 2)) || usage
command=$1
dir=$2
shift 2

# P-256 keys: small and fast on a Pi; every TLS stack of the fleet (.NET on OpenSSL) speaks them.
key_options=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

case $command in
    ca)
        (($# == 0)) || usage
        mkdir -p -- "$dir"
        [[ ! -e $dir/ca.key ]] || die "$dir/ca.key exists: a fleet has one CA; remove it only to replace the whole fleet's trust"
        openssl req -x509 "${key_options[@]}" -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 3650 \
            -subj "/CN=PinsDaemon fleet CA $(date -u +%Y-%m-%d)" \
            -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        chmod 0644 "$dir/ca.crt"
        echo "fleet-certs: created $dir/ca.crt (give it to every node) and $dir/ca.key (keep it off the fleet)"
        ;;
    node)
        (($# >= 1)) || usage
        name=$1
        shift
        [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]] || die "node name '$name': 1 to 63 letters, digits, '.', '_' or '-' (its Fleet:NodeName)"
        [[ -f $dir/ca.key && -f $dir/ca.crt ]] || die "no CA in $dir: run '$0 ca $dir' first"
        san="DNS:$name"
        for address in "$@"; do
            if [[ $address =~ ^[0-9.]+$ || $address == *:* ]]; then
                san+=",IP:$address"
            elif [[ $address =~ ^[A-Za-z0-9.-]+$ ]]; then
                san+=",DNS:$address"
            else
                die "address '$address' is neither an IP address nor a DNS name"
            fi
        done
        extensions=$(mktemp)
        trap 'rm -f -- "$extensions" "$dir/$name.csr"' EXIT
        # Every node is a TLS server (it accepts connections) and a client (it opens them).
        cat >"$extensions" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san
EOF
        openssl req -new "${key_options[@]}" -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$name" 2>/dev/null
        openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
            -set_serial "0x$(openssl rand -hex 16)" -days 825 -sha256 -extfile "$extensions" -out "$dir/$name.crt" 2>/dev/null
        chmod 0644 "$dir/$name.crt"
        openssl verify -CAfile "$dir/ca.crt" "$dir/$name.crt" >/dev/null || die "the new certificate does not verify against $dir/ca.crt"
        echo "fleet-certs: created $dir/$name.crt and $dir/$name.key for node $name ($san)"
        ;;
    *) usage ;;
esac
