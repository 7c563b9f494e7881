pub mod agents;
pub mod alerts;
pub mod events;
pub mod home;
pub mod overview;
pub mod prices;
pub mod projects;
pub mod settings;
