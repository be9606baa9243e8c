//! parlog's integration tests, one module per feature.
mod bad_input;
mod crash;
mod privacy;
mod proj_activity;
mod proj_codebook;
mod proj_cycles;
mod proj_lessons;
mod proj_network;
mod proj_role;
mod proj_signals;
mod proj_support;
mod proj_warnings;
mod store_model;
mod subscription;
mod support;
mod tamper;
