//! The customer profile calls of [`Session`]: `/api/v1/customers`.

use reqwest::Method;

use super::{enc, send, ClientError, Session};
use crate::*;

impl Session {
    /// `GET /api/v1/customers?q=…`.
    pub async fn customers(&self, q: &CustomerQuery) -> Result<Vec<CustomerProfile>, ClientError> {
        send(self.req(Method::GET, "/api/v1/customers").query(q)).await
    }

    /// `GET /api/v1/customers/{id}`: the profile and the customer's
    /// conversations the caller may see.
    pub async fn customer(&self, id: &str) -> Result<CustomerDetails, ClientError> {
        self.get(&format!("/api/v1/customers/{}", enc(id))).await
    }

    /// `PATCH /api/v1/customers/{id}`.
    pub async fn patch_customer(
        &self,
        id: &str,
        patch: &CustomerPatch,
    ) -> Result<CustomerProfile, ClientError> {
        self.with_body(
            Method::PATCH,
            &format!("/api/v1/customers/{}", enc(id)),
            patch,
        )
        .await
    }

    /// `POST /api/v1/customers/{id}/identities` (admins).
    pub async fn add_identity(
        &self,
        id: &str,
        identity: &NewIdentity,
    ) -> Result<CustomerProfile, ClientError> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/customers/{}/identities", enc(id)),
            identity,
        )
        .await
    }

    /// `DELETE /api/v1/customers/{id}/identities/{kind}/{value}` (admins).
    pub async fn remove_identity(
        &self,
        id: &str,
        kind: IdentityKind,
        value: &str,
    ) -> Result<CustomerProfile, ClientError> {
        send(self.req(
            Method::DELETE,
            &format!(
                "/api/v1/customers/{}/identities/{}/{}",
                enc(id),
                kind.as_str(),
                enc(value)
            ),
        ))
        .await
    }

    /// `POST /api/v1/customers/{id}/merge` (admins): `from` merged into `id`.
    pub async fn merge_customers(
        &self,
        id: &str,
        from: &str,
    ) -> Result<CustomerProfile, ClientError> {
        self.with_body(
            Method::POST,
            &format!("/api/v1/customers/{}/merge", enc(id)),
            &CustomerMergeRequest {
                from: from.to_owned(),
            },
        )
        .await
    }

    /// `POST /api/v1/customers/{id}/unmerge` (admins).
    pub async fn unmerge_customer(&self, id: &str) -> Result<CustomerProfile, ClientError> {
        send(self.req(
            Method::POST,
            &format!("/api/v1/customers/{}/unmerge", enc(id)),
        ))
        .await
    }
}
