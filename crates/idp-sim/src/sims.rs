//! All five simulators at once.

use crate::aa_controlroom::AaControlRoomSim;
use crate::alibaba_cloudsso::AlibabaCloudSsoSim;
use crate::cf_access::CfAccessSim;
use crate::error::SimError;
use crate::onelogin::OneLoginSim;
use crate::rsa_cas::RsaCasSim;
use crate::simulator::Simulator;

/// One simulator per vendor, each on its own free loopback port.
#[derive(Debug)]
pub struct Sims {
    /// RSA SecurID Cloud Access Service.
    pub rsa_cas: RsaCasSim,
    /// Cloudflare Zero Trust Access.
    pub cf_access: CfAccessSim,
    /// OneLogin.
    pub onelogin: OneLoginSim,
    /// Automation Anywhere Control Room.
    pub aa_controlroom: AaControlRoomSim,
    /// Alibaba Cloud CloudSSO.
    pub alibaba_cloudsso: AlibabaCloudSsoSim,
}

impl Sims {
    /// Starts all five (inside a Tokio runtime); dropping the value stops them.
    pub async fn start() -> Result<Sims, SimError> {
        let (rsa_cas, cf_access, onelogin, aa_controlroom, alibaba_cloudsso) =
            futures_util::future::try_join5(
                RsaCasSim::start(),
                CfAccessSim::start(),
                OneLoginSim::start(),
                AaControlRoomSim::start(),
                AlibabaCloudSsoSim::start(),
            )
            .await?;
        Ok(Sims {
            rsa_cas,
            cf_access,
            onelogin,
            aa_controlroom,
            alibaba_cloudsso,
        })
    }

    /// Every simulator's environment variables together (their names never collide), for a
    /// CLI run or `Config::from_lookup` of any vendor.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        self.all().iter().flat_map(|sim| sim.env()).collect()
    }

    /// [`Sims::env`] as a lookup function.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + Clone + Send + Sync + 'static {
        crate::util::lookup_in(self.env())
    }

    /// The simulators, in the order rsa-cas, cf-access, onelogin, aa-controlroom,
    /// alibaba-cloudsso.
    pub fn all(&self) -> [&dyn Simulator; 5] {
        [
            &self.rsa_cas,
            &self.cf_access,
            &self.onelogin,
            &self.aa_controlroom,
            &self.alibaba_cloudsso,
        ]
    }
}
