pub mod alerts;
pub mod events;
pub mod home;
pub mod overview;
mod price_import;
pub mod prices;
pub mod scopes;
pub mod settings;
pub mod signin;
