//! `costline prices import FILE`: LiteLLM's price map against the price book, on the
//! server's database (`DATABASE_URL`). Prints the diff; changes the book only with
//! `--apply`. The rules are the service's, shared with `POST /api/model-prices/import`.

use std::{fmt::Write as _, io::Write as _};

use anyhow::Context;
use chrono::Utc;

use crate::{
    domain::money::{MicroCents, format_count, format_price_per_mtok},
    model::{ImportedPrice, LongContextPrice, PriceImportReport},
    server::{
        board,
        config::{PricesCommand, Settings},
        service::price_import::{ImportOptions, import_prices},
    },
};

pub async fn run(settings: &Settings, command: PricesCommand) -> anyhow::Result<()> {
    let PricesCommand::Import {
        file,
        apply,
        effective_from,
        providers,
        source,
    } = command;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let options = ImportOptions {
        file_name: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        providers,
        effective_from,
        source,
    };
    let db = board::open(settings).await?;
    // The operator at the command line: the trail names the tool.
    let cli = crate::domain::audit::Actor::system("cli");
    let result = import_prices(&db, Utc::now(), &text, options, apply, &cli).await;
    db.close().await;
    let report = result.map_err(|err| {
        let mut message = format!("the map was refused, nothing was changed: {err}");
        for d in err.details() {
            let _ = write!(message, "\n  {}: {}", d.field, d.message);
        }
        anyhow::anyhow!(message)
    })?;
    std::io::stdout()
        .write_all(render(&report).as_bytes())
        .context("could not write the report")
}

fn money(micros: i64) -> String {
    format_price_per_mtok(MicroCents::new(micros))
}

fn rates(input: i64, cached: i64, write: i64, output: i64) -> String {
    format!(
        "input {}, cached {}, cache write {}, output {}",
        money(input),
        money(cached),
        money(write),
        money(output)
    )
}

fn tier(t: &Option<LongContextPrice>) -> String {
    t.as_ref().map_or_else(String::new, |t| {
        format!(
            "; above {} input tokens: {}",
            format_count(t.above_input_tokens),
            rates(
                t.input_micro_cents_per_m_tok,
                t.cached_input_micro_cents_per_m_tok,
                t.cache_write_micro_cents_per_m_tok,
                t.output_micro_cents_per_m_tok
            )
        )
    })
}

fn price_line(p: &ImportedPrice) -> String {
    format!(
        "  {:<10} {:<40} {}{}\n",
        p.provider,
        p.model,
        rates(
            p.input_micro_cents_per_m_tok,
            p.cached_input_micro_cents_per_m_tok,
            p.cache_write_micro_cents_per_m_tok,
            p.output_micro_cents_per_m_tok
        ),
        tier(&p.long_context)
    )
}

/// The report as the operator reads it.
pub fn render(r: &PriceImportReport) -> String {
    let mut out = format!(
        "{} against the price book (providers: {}; prices from {})\n",
        r.file_name,
        r.providers.join(", "),
        r.effective_from.format("%Y-%m-%d")
    );
    let _ = writeln!(out, "\nNew ({}):", r.new.len());
    r.new.iter().for_each(|p| out.push_str(&price_line(p)));
    let _ = writeln!(out, "\nChanged ({}):", r.changed.len());
    for c in &r.changed {
        let b = &c.before;
        let before = format!(
            "{}{}",
            rates(
                b.input_micro_cents_per_m_tok,
                b.cached_input_micro_cents_per_m_tok,
                b.cache_write_micro_cents_per_m_tok,
                b.output_micro_cents_per_m_tok
            ),
            tier(&b.long_context)
        );
        let _ = writeln!(
            out,
            "{}    was {} (from {}, {})",
            price_line(&c.after),
            before,
            b.effective_from.format("%Y-%m-%d"),
            b.source
        );
    }
    let _ = writeln!(out, "\nUnchanged: {}", r.unchanged.len());
    let _ = writeln!(out, "\nSkipped ({}):", r.skipped.len());
    for s in &r.skipped {
        let _ = writeln!(out, "  {}: {}", s.entry, s.reason);
    }
    let _ = writeln!(
        out,
        "\nEntries of other providers, not imported: {}",
        format_count(r.other_providers)
    );
    let adds = r.new.len() + r.changed.len();
    if r.applied {
        let _ = writeln!(
            out,
            "\nApplied: {adds} prices added from {} (source: {}).",
            r.effective_from.format("%Y-%m-%d"),
            r.source
        );
    } else {
        let _ = writeln!(
            out,
            "\nDry run: nothing was changed. Add --apply to add these {adds} prices."
        );
    }
    out
}
