//! Launchd integration.

use super::{Backend, InstallOptions, LogOptions, ManagerStatus, ServiceError};

pub struct LaunchdBackend {}

impl LaunchdBackend {
    pub fn from_env() -> LaunchdBackend {
        LaunchdBackend {}
    }
}

impl Backend for LaunchdBackend {
    fn install(&self, _opts: &InstallOptions) -> Result<(), ServiceError> {
        todo!()
    }
    fn uninstall(&self) -> Result<(), ServiceError> {
        todo!()
    }
    fn start(&self) -> Result<(), ServiceError> {
        todo!()
    }
    fn stop(&self) -> Result<(), ServiceError> {
        todo!()
    }
    fn restart(&self) -> Result<(), ServiceError> {
        todo!()
    }
    fn reload(&self) -> Result<(), ServiceError> {
        todo!()
    }
    fn is_installed(&self) -> bool {
        todo!()
    }
    fn status(&self) -> Result<ManagerStatus, ServiceError> {
        todo!()
    }
    fn logs(&self, _opts: &LogOptions) -> Result<(), ServiceError> {
        todo!()
    }
}
