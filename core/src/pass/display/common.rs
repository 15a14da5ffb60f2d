//! Readers shared by every vertical: the modules class and object resources share, dates,
//! localized strings and enum values, over the path-tracking [`json_reader`].
// Reads untrusted issuer JSON: no panics, no unchecked maths.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use super::{
    event, flight, generic, gift_card, offer, transit, Details, DisplayDateTime, ImageModule,
    LabelValue, LatLng, Link, Message, MessageType, Modules, TextModule, Vertical, MAX_BODY_LEN,
    MAX_IMAGES, MAX_INFO_COLUMNS, MAX_INFO_ROWS, MAX_LINKS, MAX_LOCATIONS, MAX_MESSAGES,
    MAX_TEXT_MODULES,
};
use crate::pass::datetime::{parse_date_time_with_offset, DateTimeBound};
use crate::pass::google_wallet::{ImportError, MAX_ID_LEN, MAX_TEXT_LEN, MAX_URI_LEN};
use crate::pass::json_reader::{Item, Obj};
use crate::ports::PassType;

/// The display details of a class resource of vertical `t`.
pub(crate) fn read_class_details(t: PassType, o: &Obj<'_, '_>) -> Result<Details, ImportError> {
    let vertical = match t {
        PassType::Loyalty => Vertical::None,
        PassType::Flight => Vertical::Flight(Box::new(flight::class(o)?)),
        PassType::EventTicket => Vertical::EventTicket(Box::new(event::class(o)?)),
        PassType::Transit => Vertical::Transit(Box::new(transit::class(o)?)),
        PassType::Offer => Vertical::Offer(Box::new(offer::class(o)?)),
        PassType::GiftCard => Vertical::GiftCard(Box::new(gift_card::class(o)?)),
        PassType::Generic => Vertical::Generic(Box::new(generic::class(o)?)),
    };
    Ok(Details { modules: modules(o)?, vertical })
}

/// The display details of an object resource of vertical `t`.
pub(crate) fn read_object_details(t: PassType, o: &Obj<'_, '_>) -> Result<Details, ImportError> {
    let vertical = match t {
        PassType::Loyalty => Vertical::None,
        PassType::Flight => Vertical::Flight(Box::new(flight::object(o)?)),
        PassType::EventTicket => Vertical::EventTicket(Box::new(event::object(o)?)),
        PassType::Transit => Vertical::Transit(Box::new(transit::object(o)?)),
        PassType::Offer => Vertical::Offer(Box::default()),
        PassType::GiftCard => Vertical::GiftCard(Box::new(gift_card::object(o)?)),
        PassType::Generic => Vertical::Generic(Box::new(generic::object(o)?)),
    };
    Ok(Details { modules: modules(o)?, vertical })
}

fn modules(o: &Obj<'_, '_>) -> Result<Modules, ImportError> {
    let messages = o.array("messages", MAX_MESSAGES, |i| message(i.obj()?))?;
    let text_modules = o.array("textModulesData", MAX_TEXT_MODULES, |i| {
        let m = i.obj()?;
        Ok(TextModule {
            id: m.opt_string("id", MAX_ID_LEN)?,
            header: text(&m, "header", "localizedHeader", MAX_TEXT_LEN)?,
            body: text(&m, "body", "localizedBody", MAX_BODY_LEN)?,
        })
    })?;
    let links = o
        .opt_obj("linksModuleData", |l| {
            l.array("uris", MAX_LINKS, |i| {
                let u = i.obj()?;
                Ok(Link {
                    id: u.opt_string("id", MAX_ID_LEN)?,
                    uri: u.req_str("uri", MAX_URI_LEN)?.to_owned(),
                    description: text(&u, "description", "localizedDescription", MAX_TEXT_LEN)?,
                })
            })
        })?
        .unwrap_or_default();
    let images = o
        .array("imageModulesData", MAX_IMAGES, |i| {
            let m = i.obj()?;
            let id = m.opt_string("id", MAX_ID_LEN)?;
            m.opt_obj("mainImage", |img| {
                let uri = image_uri(&img)?;
                let description = img.opt_obj("contentDescription", localized)?.flatten();
                Ok(uri.map(|uri| ImageModule { id, uri, description }))
            })
            .map(Option::flatten)
        })?
        .into_iter()
        .flatten()
        .collect();
    let info_rows = o
        .opt_obj("infoModuleData", |m| {
            m.array("labelValueRows", MAX_INFO_ROWS, |r| {
                r.obj()?.array("columns", MAX_INFO_COLUMNS, |c| {
                    let c = c.obj()?;
                    Ok(LabelValue {
                        label: text(&c, "label", "localizedLabel", MAX_TEXT_LEN)?,
                        value: text(&c, "value", "localizedValue", MAX_BODY_LEN)?,
                    })
                })
            })
        })?
        .unwrap_or_default();
    let locations = o.array("locations", MAX_LOCATIONS, |i| {
        let p = i.obj()?;
        let latitude = p.required("latitude", |i| i.f64())?;
        let longitude = p.required("longitude", |i| i.f64())?;
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(p.invalid("latitude", "outside -90..=90 degrees"));
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return Err(p.invalid("longitude", "outside -180..=180 degrees"));
        }
        Ok(LatLng { latitude, longitude })
    })?;
    let hero_uri = o.opt_obj("heroImage", |i| image_uri(&i))?.flatten();
    Ok(Modules { messages, text_modules, links, images, info_rows, locations, hero_uri })
}

pub(crate) fn message(m: Obj<'_, '_>) -> Result<Message, ImportError> {
    let (display_start, display_end) = m
        .opt_obj("displayInterval", |d| Ok((date_obj(&d, "start")?, date_obj(&d, "end")?)))?
        .unwrap_or_default();
    let message_type = m
        .opt_str("messageType", 64)?
        .and_then(|s| match enum_name(s).as_str() {
            "TEXT" | "MESSAGE_TYPE_UNSPECIFIED" => Some(MessageType::Text),
            "EXPIRATION_NOTIFICATION" => Some(MessageType::ExpirationNotification),
            "TEXT_AND_NOTIFY" => Some(MessageType::TextAndNotify),
            _ => None,
        })
        .unwrap_or_default();
    Ok(Message {
        id: m.opt_string("id", MAX_ID_LEN)?,
        header: text(&m, "header", "localizedHeader", MAX_TEXT_LEN)?,
        body: text(&m, "body", "localizedBody", MAX_BODY_LEN)?,
        message_type,
        display_start,
        display_end,
    })
}

/// A date-time string field (`localScheduledDepartureDateTime`, `dateTime.start`, …).
pub(super) fn date_str(
    o: &Obj<'_, '_>,
    key: &'static str,
) -> Result<Option<DisplayDateTime>, ImportError> {
    o.field(key, |i| parse_display_date(i, o, key))
}

/// A `DateTime` object field: `{"date": "…"}`.
pub(super) fn date_obj(
    o: &Obj<'_, '_>,
    key: &'static str,
) -> Result<Option<DisplayDateTime>, ImportError> {
    o.opt_obj(key, |d| d.field("date", |i| parse_display_date(i, &d, "date"))).map(Option::flatten)
}

fn parse_display_date(
    i: Item<'_, '_>,
    parent: &Obj<'_, '_>,
    key: &'static str,
) -> Result<DisplayDateTime, ImportError> {
    let s = i.str(64)?;
    let (bound, offset_seconds) =
        parse_date_time_with_offset(s).map_err(|e| parent.invalid(key, e.to_string()))?;
    let epoch_ms = match bound {
        DateTimeBound::Instant { utc_ms } => utc_ms,
        DateTimeBound::Local { wall_ms } => wall_ms,
    };
    Ok(DisplayDateTime { epoch_ms, offset_seconds })
}

/// A plain string field, else the `LocalizedString` under `localized_key`.
pub(super) fn text(
    o: &Obj<'_, '_>,
    plain_key: &'static str,
    localized_key: &'static str,
    max: usize,
) -> Result<Option<String>, ImportError> {
    match o.opt_string(plain_key, max)? {
        Some(s) => Ok(Some(s)),
        None => Ok(o.opt_obj(localized_key, |l| localized_max(&l, max))?.flatten()),
    }
}

/// `LocalizedString.defaultValue.value` (capped at [`MAX_TEXT_LEN`]).
pub(super) fn localized(o: Obj<'_, '_>) -> Result<Option<String>, ImportError> {
    localized_max(&o, MAX_TEXT_LEN)
}

fn localized_max(o: &Obj<'_, '_>, max: usize) -> Result<Option<String>, ImportError> {
    Ok(o.opt_obj("defaultValue", |d| d.opt_string("value", max))?.flatten())
}

/// A `LocalizedString` field.
pub(super) fn localized_field(
    o: &Obj<'_, '_>,
    key: &'static str,
) -> Result<Option<String>, ImportError> {
    Ok(o.opt_obj(key, localized)?.flatten())
}

/// `Image.sourceUri.uri`.
pub(super) fn image_uri(o: &Obj<'_, '_>) -> Result<Option<String>, ImportError> {
    Ok(o.opt_obj("sourceUri", |u| u.opt_string("uri", MAX_URI_LEN))?.flatten())
}

/// An enum value in either casing Google uses (`FLIGHT_STATUS`, legacy `flightStatus`),
/// normalized to `SCREAMING_SNAKE_CASE`.
pub(super) fn enum_name(s: &str) -> String {
    // Only camelCase (lower case letters, no underscore) gets underscores inserted.
    let camel = !s.contains('_') && s.bytes().any(|b| b.is_ascii_lowercase());
    let mut out = String::with_capacity(s.len().saturating_add(4));
    for (i, c) in s.chars().enumerate() {
        if camel && i > 0 && c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// An optional enum field: `parse` maps the normalized name; unknown values read as absent.
pub(super) fn enum_field<T>(
    o: &Obj<'_, '_>,
    key: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, ImportError> {
    Ok(o.opt_str(key, 64)?.and_then(|s| parse(&enum_name(s))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::enum_name;

    #[test]
    fn enum_names_in_both_casings() {
        assert_eq!(enum_name("expirationNotification"), "EXPIRATION_NOTIFICATION");
        assert_eq!(enum_name("EXPIRATION_NOTIFICATION"), "EXPIRATION_NOTIFICATION");
        assert_eq!(enum_name("scheduled"), "SCHEDULED");
        assert_eq!(enum_name("roundTrip"), "ROUND_TRIP");
    }
}
