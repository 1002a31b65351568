//! The reader's rules, format by format, and its errors.

use super::*;

#[test]
fn engine_outputs_are_reserved_and_metadata_is_not() {
    for c in ["score", "decision", "band", "silentface_score", "q_sharpness", "yaw_range", "blink", "frames_used"] {
        assert!(is_reserved(c), "{c}");
    }
    for c in ["subject", "session", "device", "challenges_failed", "challenges_passed"] {
        assert!(!is_reserved(c), "{c}");
    }
}

fn parse(text: &str) -> Result<Vec<Presentation>> {
    parse_scores(text.as_bytes(), "t.csv", ReadOptions::default())
}

fn error(text: &str) -> String {
    format!("{:#}", parse(text).unwrap_err())
}

const REFERENCE: &str = "path,label,attack_type,subject,session,glasses,pos,score,face_found,x1,y1,x2,y2\n\
    a.jpg,live,,0001,01,00,00,0.9,1,1,2,3,4\n\
    b.jpg,attack,print-warp,0002,01,00,02,,0,,,,\n\
    c.jpg,attack,,0002,01,00,02,0.25,1,1,2,3,4\n";

#[test]
fn visiting_gives_each_row_with_its_face_box() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.csv");
    std::fs::write(&path, REFERENCE).unwrap();
    let mut seen = Vec::new();
    visit_scores(&path, ReadOptions::default(), |row| {
        seen.push((row.presentation()?.id, row.face_box()));
        Ok(())
    })
    .unwrap();
    let face = FaceBox { x1: 1, y1: 2, x2: 3, y2: 4 };
    assert_eq!(seen, [("a.jpg".to_owned(), Some(face)), ("b.jpg".to_owned(), None), ("c.jpg".to_owned(), Some(face))]);
    let mut scores = Vec::new();
    visit_scores(&path, ReadOptions::flip(true), |row| {
        scores.push((row.bona_fide()?, row.score()?));
        Ok(())
    })
    .unwrap();
    assert_eq!(scores, [(true, Some(1.0 - 0.9)), (false, None), (false, Some(0.75))]);
    let err = visit_scores(&path, ReadOptions::default(), |_| anyhow::bail!("stop")).unwrap_err();
    assert!(format!("{err:#}").contains("line 2: stop"), "{err:#}");
    assert!(visit_scores(&dir.path().join("missing.csv"), ReadOptions::default(), |_| Ok(())).is_err());
}

#[test]
fn reference_format_rows_and_meta() {
    let rows = parse(REFERENCE).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].id, "a.jpg");
    assert!(rows[0].bona_fide);
    assert_eq!(rows[0].species, "");
    assert_eq!(rows[0].score, Some(0.9));
    assert_eq!(rows[0].reason, None);
    let keys: Vec<&str> = rows[0].meta.keys().map(String::as_str).collect();
    assert_eq!(keys, ["glasses", "pos", "session", "subject"]);
    assert_eq!(rows[0].meta["subject"], "0001");
    assert_eq!((rows[1].score, rows[1].reason.as_deref()), (None, Some("no_face")));
    assert_eq!(rows[1].species, "print-warp");
    assert_eq!(rows[2].species, UNKNOWN_SPECIES);
}

#[test]
fn reference_face_found_zero_drops_the_score_and_missing_score_is_no_score() {
    let rows = parse("path,label,attack_type,score,face_found\na,live,,0.7,0\nb,live,,,1\n").unwrap();
    assert_eq!((rows[0].score, rows[0].reason.as_deref()), (None, Some("no_face")));
    assert_eq!((rows[1].score, rows[1].reason.as_deref()), (None, Some("no_score")));
}

#[test]
fn liveness_format_status_reason_and_reserved_columns() {
    let text = "path,label,attack_type,device,score,status,reason,decision,band,face_count,mini_score,q_blur,x1\n\
        a,bona_fide,,phone,0.8,ok,,live,pass,1,0.7,3,5\n\
        b,spoof,replay,phone,,non_response,multiple_faces,,,2,,,\n\
        c,fake,replay,tablet,,non_response,,,,0,,,\n";
    let rows = parse(text).unwrap();
    assert_eq!(rows[0].meta.keys().collect::<Vec<_>>(), ["device"]);
    assert_eq!((rows[0].score, rows[0].bona_fide), (Some(0.8), true));
    assert_eq!((rows[1].bona_fide, rows[1].reason.as_deref()), (false, Some("multiple_faces")));
    assert_eq!(rows[2].reason.as_deref(), Some("unspecified"));
    assert_eq!(rows[2].meta["device"], "tablet");
}

#[test]
fn liveness_status_errors_name_the_line() {
    let head = "path,label,attack_type,score,status,reason\n";
    let e = error(&format!("{head}a,live,,0.5,ok,\nb,live,,,ok,\n"));
    assert!(e.contains("line 3") && e.contains("score is empty"), "{e}");
    let e = error(&format!("{head}a,live,,0.5,maybe,\n"));
    assert!(e.contains("line 2") && e.contains("\"maybe\""), "{e}");
}

#[test]
fn bob_pad_format() {
    let text = "claimed_id,test_label,is_bonafide,attack_type,score\n\
        client1,real/1.png,True,,1.5\n\
        client1,attack/2.png,0,print,-2.0\n\
        client2,attack/3.png,false,replay,\n";
    let rows = parse(text).unwrap();
    assert_eq!(rows[0].id, "real/1.png");
    assert!(rows[0].bona_fide && !rows[1].bona_fide && !rows[2].bona_fide);
    assert_eq!(rows[1].meta["subject"], "client1");
    assert_eq!(rows[1].meta.len(), 1);
    assert_eq!((rows[1].species.as_str(), rows[1].score), ("print", Some(-2.0)));
    assert_eq!(rows[2].reason.as_deref(), Some("no_score"));
    let e = error("claimed_id,test_label,is_bonafide,attack_type,score\nc,x,yes,,1\n");
    assert!(e.contains("line 2") && e.contains("\"yes\""), "{e}");
}

#[test]
fn bob_pad_subject_column_clashes_with_claimed_id() {
    let e = error("claimed_id,test_label,is_bonafide,attack_type,score,subject\n");
    assert!(e.contains("\"subject\" appears twice"), "{e}");
}

#[test]
fn label_synonyms_and_unknown_label() {
    let head = "path,label,attack_type,score,face_found\n";
    for (label, live) in
        [("LIVE", true), ("bonafide", true), ("real", true), ("Genuine", true), ("attack", false), ("Spoof", false)]
    {
        let rows = parse(&format!("{head}a,{label},x,0.5,1\n")).unwrap();
        assert_eq!(rows[0].bona_fide, live, "{label}");
    }
    let e = error(&format!("{head}a,live,,0.5,1\nb,maybe,,0.5,1\n"));
    assert!(e.contains("t.csv, line 3") && e.contains("\"maybe\""), "{e}");
}

#[test]
fn nan_infinite_and_garbage_scores_are_errors_naming_the_line() {
    let head = "path,label,attack_type,score,face_found\n";
    for bad in ["NaN", "inf", "-inf", "0.5x"] {
        let e = error(&format!("{head}a,live,,0.5,1\nb,live,,{bad},1\n"));
        assert!(e.contains("line 3") && e.contains(bad), "{e}");
    }
}

#[test]
fn missing_columns_lists_found_and_needed() {
    let e = error("path,label,score,face_found\na,live,0.5,1\n");
    assert!(e.contains("missing required column(s) attack_type"), "{e}");
    assert!(e.contains("columns found: path,label,score,face_found"), "{e}");
    assert!(e.contains("this format needs: path,label,attack_type,score,face_found"), "{e}");
}

#[test]
fn flip_reads_one_minus_the_score() {
    let options = ReadOptions::flip(true);
    let rows =
        parse_scores("path,label,attack_type,score,face_found\na,live,,0.25,1\n".as_bytes(), "t", options).unwrap();
    assert_eq!(rows[0].score, Some(0.75));
}

#[test]
fn an_id_twice_or_a_column_twice_is_refused_in_every_format() {
    let e = error("path,label,attack_type,score,status,reason\na.jpg,live,,0.9,ok,\na.jpg,attack,print,0.2,ok,\n");
    assert!(e.contains("id \"a.jpg\" appears twice (lines 2 and 3)"), "{e}");
    let e = error("path,label,attack_type,score,status,reason,score\na.jpg,live,,0.9,ok,,0.1\n");
    assert!(e.contains("column \"score\" appears twice (columns 4 and 7)"), "{e}");
}

#[test]
fn escaped_text_cells_read_back_as_written() {
    let text = "path,label,attack_type,=m,score,status,reason\n'=a.jpg,attack,'@x,'-1,-0.5,ok,\n";
    let rows = parse_scores(text.as_bytes(), "t", ReadOptions::default()).unwrap();
    assert_eq!((rows[0].id.as_str(), rows[0].species.as_str(), rows[0].score), ("=a.jpg", "@x", Some(-0.5)));
    assert_eq!(rows[0].meta, [("=m".to_owned(), "-1".to_owned())].into_iter().collect());
}

#[test]
fn ragged_row_is_an_error() {
    let e = error("path,label,attack_type,score,face_found\na,live,,0.5\n");
    assert!(e.contains("malformed CSV"), "{e}");
}

#[test]
fn read_scores_names_a_missing_file() {
    let e = read_scores(Path::new("/nonexistent/s.csv"), ReadOptions::default()).unwrap_err();
    assert!(format!("{e:#}").contains("/nonexistent/s.csv"));
}

#[test]
fn detect_format_from_header() {
    assert_eq!(ScoreFormat::detect(&["claimed_id", "is_bonafide"]), ScoreFormat::BobPad);
    assert_eq!(ScoreFormat::detect(&["path", "status"]), ScoreFormat::Liveness);
    assert_eq!(ScoreFormat::detect(&["path", "face_found"]), ScoreFormat::Reference);
}

#[test]
fn a_decision_column_is_read_through_the_map_and_scores_become_optional() {
    use crate::schema::VendorDecision;
    let map = ["realface=bona_fide", "spoofface=attack", "uncertain=retry", "error=no_response"];
    let mapping = Mapping {
        decision: Some("result".into()),
        decision_map: map.iter().map(|w| w.parse().unwrap()).collect(),
        reason: Some("status".into()),
        ..Mapping::default()
    };
    let options = || ReadOptions { mapping: mapping.clone(), ..ReadOptions::default() };
    let text =
        "id,label,result,status\na,live,RealFace,\nb,attack,spoofface,\nc,live,uncertain,\nd,attack,error,timeout\n";
    let rows = parse_scores(text.as_bytes(), "d.csv", options()).unwrap();
    let got: Vec<(VendorDecision, Option<&str>, Option<f64>)> = rows
        .iter()
        .map(|p| {
            let d = p.decision.as_ref().unwrap();
            (d.decision, d.reason.as_deref(), p.score)
        })
        .collect();
    assert_eq!(
        got,
        [
            (VendorDecision::BonaFide, None, None),
            (VendorDecision::Attack, None, None),
            (VendorDecision::Retry, Some("uncertain"), None),
            (VendorDecision::NoResponse, Some("timeout"), None),
        ]
    );
    // The decision column is not metadata; a score column beside it is read.
    assert!(rows[0].meta.is_empty());
    let both =
        parse_scores("id,label,score,result,status\na,live,0.25,realface,\n".as_bytes(), "d.csv", options()).unwrap();
    assert_eq!((both[0].score, both[0].decision.as_ref().unwrap().decision), (Some(0.25), VendorDecision::BonaFide));
    let e = format!(
        "{:#}",
        parse_scores("id,label,result,status\na,live,realface,\nb,live,maybe,\n".as_bytes(), "d.csv", options())
            .unwrap_err()
    );
    assert!(
        e.contains("d.csv, line 3")
            && e.contains("\"maybe\" is not in --decision-map (realface, spoofface, uncertain, error)"),
        "{e}"
    );
}
