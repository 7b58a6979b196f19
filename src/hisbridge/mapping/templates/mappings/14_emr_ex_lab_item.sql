-- 检验结果项目。检验项目代码为本院 LIS 代码，由前置软件管理员在前置软件中对照
-- （用 hisbridge check --lab-items FILE 导出本院检验项目字典）。HIS 物理删除结果，无删除标志。
-- Lab result items; item codes stay the LIS's own (the front-end maps them).
-- table: emr_ex_lab_item
-- key: id
-- watermark: updated_at
-- codes: examination_result_code=lab_result, examination_quantification_ri=reference_range_indicator
SELECT r.result_id AS id,
       r.test_no AS ex_lab_id,
       r.item_code AS item_code,
       r.item_name AS item_name,
       r.qual_result AS examination_result_code,
       r.result AS examination_quantification,
       r.units AS examination_quantification_unit,
       r.result_time AS operation_time,
       t.reporter AS operator_id,
       '0' AS invalid_flag,
       r.ref_low AS examination_quantification_lower,
       r.ref_high AS examination_quantification_upper,
       r.abnormal_ind AS examination_quantification_ri,
       r.qual_result AS source_examination_result_code,
       r.qual_result AS source_examination_result_name,
       k.org_code AS org_code,
       r.modify_time AS updated_at
FROM lab_result r
LEFT JOIN lab_test_master t ON t.test_no = r.test_no
LEFT JOIN dept_dict k ON k.dept_code = t.ordering_dept
WHERE r.modify_time >= :since AND r.modify_time <= :until
ORDER BY r.modify_time, r.result_id
