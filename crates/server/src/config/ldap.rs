//! `SESSIOND_LDAP_*`: LDAP / Active Directory login, read and checked.

use super::reader::Reader;
use super::vars::*;

pub(super) fn read_ldap(r: &mut Reader<'_>) -> Option<sessiond_auth_ldap::LdapSettings> {
    let url = r.text(SESSIOND_LDAP_URL);
    if url.is_empty() {
        return None;
    }
    let starttls = r.flag(SESSIOND_LDAP_STARTTLS);
    if !url.starts_with("ldap://") && !url.starts_with("ldaps://") {
        r.problem(format!(
            "SESSIOND_LDAP_URL={url:?}: expected ldaps://HOST:PORT or ldap://HOST:PORT"
        ));
    } else if starttls && url.starts_with("ldaps://") {
        r.problem(
            "SESSIOND_LDAP_STARTTLS=true with an ldaps:// URL: the connection is TLS already; \
             use one or the other"
                .to_owned(),
        );
    }
    let ca_file = r.text(SESSIOND_LDAP_CA_FILE);
    let user_dn = r.text(SESSIOND_LDAP_USER_DN);
    if !user_dn.contains("{username}") {
        r.problem(format!(
            "SESSIOND_LDAP_USER_DN={user_dn:?}: must contain {{username}}"
        ));
    }
    // DN=ROLE pairs apart by `;`: a DN has commas of its own.
    let mut group_roles = Vec::new();
    for pair in r
        .text(SESSIOND_LDAP_GROUP_ROLES)
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match pair.rsplit_once('=') {
            Some((group, role)) if group.contains('=') && !role.trim().is_empty() => {
                group_roles.push((group.trim().to_owned(), role.trim().to_owned()));
            }
            _ => r.problem(format!(
                "SESSIOND_LDAP_GROUP_ROLES: {pair:?} is not GROUP_DN=ROLE (a group is named by \
                 its full DN, e.g. cn=netadmins,ou=groups,dc=example,dc=org=netadmin; pairs are \
                 separated by ;)"
            )),
        }
    }
    let group_base = r.text(SESSIOND_LDAP_GROUP_BASE);
    Some(sessiond_auth_ldap::LdapSettings {
        url,
        starttls,
        ca_file: (!ca_file.is_empty()).then(|| ca_file.into()),
        user_dn,
        group_base: (!group_base.is_empty()).then_some(group_base),
        group_roles,
        default_role: r.text(SESSIOND_LDAP_DEFAULT_ROLE),
        timeout: std::time::Duration::from_secs(r.number(SESSIOND_STORE_TIMEOUT_SECONDS)),
    })
}
