//! [`LdapDirectory`]: checks a password by binding to an LDAP server (OpenLDAP, Active
//! Directory) as the user, then maps the groups the user is a `member` of to a sessiond role.
//!
//! `ldaps://`, or `ldap://` with StartTLS, verify the server's certificate against the system's
//! roots or a given CA file. Plain `ldap://` sends the user's password in the clear.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, dn_escape, ldap_escape};
use sessiond_core::directory::{Directory, DirectoryError, DirectoryUser};

#[derive(Debug, Clone)]
pub struct LdapSettings {
    /// `ldap://host:port` or `ldaps://host:port`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS before binding.
    pub starttls: bool,
    /// A PEM file of the CA that signed the server's certificate, when the system's roots do not
    /// include it.
    pub ca_file: Option<PathBuf>,
    /// The user's DN, with `{username}` where the (escaped) username goes:
    /// `uid={username},ou=people,dc=example,dc=org`, or `{username}@corp.example` for AD.
    pub user_dn: String,
    /// Where groups are searched (`(member=<user DN>)`); `None` gives everyone `default_role`.
    pub group_base: Option<String>,
    /// Group DN to role; the first group the user is in, in this order, wins.
    pub group_roles: Vec<(String, String)>,
    pub default_role: String,
    pub timeout: Duration,
}

pub struct LdapDirectory {
    settings: LdapSettings,
    tls: native_tls::TlsConnector,
}

/// LDAP result codes that mean "these credentials are not accepted", not "the server failed":
/// noSuchObject, inappropriateAuthentication, invalidCredentials, insufficientAccessRights,
/// unwillingToPerform.
const REFUSED: [u32; 5] = [32, 48, 49, 50, 53];

fn unavailable(e: impl Into<sessiond_core::store::BoxError>) -> DirectoryError {
    DirectoryError(e.into())
}

impl LdapDirectory {
    /// Fails when the CA file cannot be read or is not a PEM certificate.
    pub fn new(settings: LdapSettings) -> Result<Self, String> {
        let mut tls = native_tls::TlsConnector::builder();
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read the LDAP CA file {}: {e}", path.display()))?;
            let ca = native_tls::Certificate::from_pem(&pem).map_err(|e| {
                format!(
                    "the LDAP CA file {} is not a PEM certificate: {e}",
                    path.display()
                )
            })?;
            tls.add_root_certificate(ca);
        }
        let tls = tls.build().map_err(|e| format!("TLS for LDAP: {e}"))?;
        Ok(Self { settings, tls })
    }

    async fn connect(&self) -> Result<ldap3::Ldap, DirectoryError> {
        let s = &self.settings;
        let conn_settings = LdapConnSettings::new()
            .set_conn_timeout(s.timeout)
            .set_starttls(s.starttls)
            .set_connector(self.tls.clone());
        let (conn, ldap) = LdapConnAsync::with_settings(conn_settings, &s.url)
            .await
            .map_err(unavailable)?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// An anonymous base search for the user's DN: noSuchObject says the directory has no such
    /// user; an entry says it has; a refusal, or no entry where the server hides what anonymous
    /// readers may see, says nothing.
    async fn look_for(&self, username: &str) -> Result<Option<bool>, DirectoryError> {
        let dn = self
            .settings
            .user_dn
            .replace("{username}", &dn_escape(username.trim()));
        let mut ldap = self.connect().await?;
        let found = ldap
            .search(&dn, Scope::Base, "(objectClass=*)", vec!["1.1"])
            .await
            .map_err(unavailable)?;
        let _ = ldap.unbind().await;
        let (entries, result) = (found.0, found.1);
        Ok(match result.rc {
            0 if !entries.is_empty() => Some(true),
            32 => Some(false),
            _ => None,
        })
    }

    async fn bind_and_look_up(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<DirectoryUser>, DirectoryError> {
        let s = &self.settings;
        let dn = s.user_dn.replace("{username}", &dn_escape(username.trim()));
        let mut ldap = self.connect().await?;
        let bound = ldap.simple_bind(&dn, password).await.map_err(unavailable)?;
        if REFUSED.contains(&bound.rc) {
            let _ = ldap.unbind().await;
            return Ok(None);
        }
        bound.success().map_err(unavailable)?;

        let (entries, _) = ldap
            .search(
                &dn,
                Scope::Base,
                "(objectClass=*)",
                vec!["displayName", "cn"],
            )
            .await
            .and_then(|r| r.success())
            .map_err(unavailable)?;
        let display_name = entries.into_iter().next().and_then(|e| {
            let e = SearchEntry::construct(e);
            ["displayName", "cn"]
                .iter()
                .find_map(|a| e.attrs.get(*a).and_then(|v| v.first().cloned()))
        });

        let mut groups: Vec<String> = Vec::new();
        if let Some(base) = &s.group_base {
            let filter = format!("(member={})", ldap_escape(&dn));
            // "1.1": no attributes, the DNs are all that count.
            let (entries, _) = ldap
                .search(base, Scope::Subtree, &filter, vec!["1.1"])
                .await
                .and_then(|r| r.success())
                .map_err(unavailable)?;
            groups.extend(entries.into_iter().map(|e| SearchEntry::construct(e).dn));
        }
        let _ = ldap.unbind().await;
        // By full DN only: a bare `cn` would also match a group of that name that anyone who
        // may create groups somewhere under the group base could make.
        let role = s
            .group_roles
            .iter()
            .find(|(group, _)| groups.iter().any(|dn| same_dn(dn, group)))
            .map_or_else(|| s.default_role.clone(), |(_, role)| role.clone());
        Ok(Some(DirectoryUser { display_name, role }))
    }
}

#[async_trait]
impl Directory for LdapDirectory {
    async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<DirectoryUser>, DirectoryError> {
        // An empty password is an unauthenticated bind, which many servers "accept".
        if password.is_empty() || username.trim().is_empty() {
            return Ok(None);
        }
        match tokio::time::timeout(
            self.settings.timeout,
            self.bind_and_look_up(username, password),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(unavailable("the LDAP server did not answer in time")),
        }
    }

    async fn has_user(&self, username: &str) -> Result<Option<bool>, DirectoryError> {
        if username.trim().is_empty() {
            return Ok(Some(false));
        }
        match tokio::time::timeout(self.settings.timeout, self.look_for(username)).await {
            Ok(result) => result,
            Err(_) => Err(unavailable("the LDAP server did not answer in time")),
        }
    }
}

/// DNs compare without regard to case or to spaces around their separators.
pub fn same_dn(a: &str, b: &str) -> bool {
    let parts = |dn: &str| {
        dn.split(',')
            .map(|rdn| {
                rdn.split_once('=')
                    .map(|(k, v)| format!("{}={}", k.trim(), v.trim()))
                    .unwrap_or_else(|| rdn.trim().to_owned())
                    .to_lowercase()
            })
            .collect::<Vec<_>>()
    };
    parts(a) == parts(b)
}

#[cfg(test)]
mod tests {
    use super::same_dn;

    #[test]
    fn dns_compare_without_case_or_spaces_and_a_bare_cn_is_not_a_dn() {
        assert!(same_dn(
            "cn=NetAdmins,ou=groups,dc=example,dc=org",
            "CN=netadmins, OU=Groups, dc=example, dc=org"
        ));
        assert!(!same_dn(
            "cn=netadmins,ou=groups,dc=example,dc=org",
            "netadmins"
        ));
        assert!(!same_dn(
            "cn=netadmins,ou=other,dc=example,dc=org",
            "cn=netadmins,ou=groups,dc=example,dc=org"
        ));
    }
}
