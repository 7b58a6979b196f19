-- 门诊诊断 -> 诊疗活动；作废 zfbz = '1' 即删除。
-- table: emr_activity_info
-- key: id
-- watermark: xgsj
-- delete_flag: zfbz
-- codes: dept_code=department, disease_code=infectious_disease_icd10?, wm_disease_code=icd10?
SELECT z.zdxh AS id,
       z.ghxh AS patient_id,
       '1' AS activity_type_code,
       '门诊' AS activity_type_name,
       z.ghxh AS serial_number,
       g.ghsj AS activity_time,
       b.xm AS patient_name,
       z.zdsj AS diagnose_time,
       z.zddm AS disease_code,
       z.zdmc AS disease_name,
       z.zddm AS wm_disease_code,
       z.zdmc AS wm_disease_name,
       g.ksdm AS dept_code,
       z.ysdm AS operator_id,
       z.zdsj AS operation_time,
       '0' AS invalid_flag,
       z.zfbz AS zfbz,
       z.xgsj AS xgsj
FROM mz_zdjl z
JOIN gh_mzgh g ON g.ghxh = z.ghxh
JOIN br_jbxx b ON b.brid = g.brid
WHERE z.xgsj >= :since AND z.xgsj <= :until
ORDER BY z.xgsj, z.zdxh
