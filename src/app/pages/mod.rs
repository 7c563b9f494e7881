pub mod agents;
pub mod alerts;
pub mod events;
pub mod home;
pub mod overview;
pub mod projects;
pub mod settings;
pub mod signin;
